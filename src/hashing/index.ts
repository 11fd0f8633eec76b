export { createHashPool, hashFile, type HashFileOptions, type HashPool } from './hash-pool.js';
export { createInOrderHasher, type InOrderHasher } from './in-order-hasher.js';

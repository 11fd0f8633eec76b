import { dataDirLocked } from '../daemon/data-dir-lock.js';

export const lockCheck = dataDirLocked;

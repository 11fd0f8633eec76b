import { queueRow } from '../projections/queue.projection.js';

export const firstRow = queueRow;

import { catalogProjection } from './catalog.projection.js';
import type { Projection } from './projection.js';
import { queueProjection } from './queue.projection.js';
import { settingsProjection } from './settings.projection.js';

/** Order matters: the catalog reads the job rows the queue projection folded for the same event. */
export const projections: readonly Projection[] = [queueProjection, catalogProjection, settingsProjection];

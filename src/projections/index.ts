import { catalogProjection } from './catalog.projection.js';
import { libraryProjection } from './library.projection.js';
import type { Projection } from './projection.js';
import { queueProjection } from './queue.projection.js';
import { settingsProjection } from './settings.projection.js';
import { updatesProjection } from './updates.projection.js';

/** Order matters: the catalog and the library read the job rows the queue projection folded for the same event. */
export const projections: readonly Projection[] = [queueProjection, catalogProjection, settingsProjection, libraryProjection, updatesProjection];

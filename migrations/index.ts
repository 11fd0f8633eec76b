import type { Migration, MigrationProvider } from 'kysely';
import * as eventLog from './0001_event_log.js';
import * as views from './0002_views.js';
import * as library from './0003_library.js';
import * as catalogChanged from './0004_catalog_changed.js';
import * as jobLifecycle from './0005_job_lifecycle.js';
import * as sources from './0006_sources.js';
import * as hosts from './0007_hosts.js';

/** Static list: the daemon must not depend on reading a folder of migration files at run time. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async (): Promise<Record<string, Migration>> => ({
    '0001_event_log': eventLog,
    '0002_views': views,
    '0003_library': library,
    '0004_catalog_changed': catalogChanged,
    '0005_job_lifecycle': jobLifecycle,
    '0006_sources': sources,
    '0007_hosts': hosts,
  }),
};

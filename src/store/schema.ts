import type { CatalogRow } from '../projections/catalog.projection.js';
import type { JobRow } from '../projections/queue.projection.js';
import type { HashCacheRow, IdentityRow } from '../projections/library.projection.js';
import type { SettingRow } from '../projections/settings.projection.js';
import type { FileReplacementRow, HfUpdateRow, NotificationRow, UpdateIgnoreRow, UpdateRow } from '../projections/updates.projection.js';

export interface EventRowTable {
  global_position: number;
  event_id: string;
  stream_id: string;
  category: string;
  stream_position: number;
  type: string;
  schema_version: number;
  data: string;
  metadata: string;
  recorded_at: string;
}

/** The tables kysely types queries against. */
export interface ViewTables {
  events: EventRowTable;
  checkpoints: { name: string; position: number; version: number };
  view_jobs: JobRow;
  view_catalog: CatalogRow;
  view_settings: SettingRow;
  view_hash_cache: HashCacheRow;
  view_identity: IdentityRow;
  view_updates: UpdateRow;
  view_update_ignores: UpdateIgnoreRow;
  view_file_replacements: FileReplacementRow;
  view_notifications: NotificationRow;
  view_hf_updates: HfUpdateRow;
  hosts: { name: string; last_seen: string; version: string };
}

import type { DomainStoredEvent } from '../events/index.js';
import { table, type Projection, type ViewWriter } from './projection.js';

// A type alias, not an interface: aliases are indexable, which the generic view writer needs.
export type SettingRow = {
  key: string;
  /** JSON text, so any setting's value shape fits one column. */
  value: string;
};

export const settingsTable = table<SettingRow>('view_settings', 'key', ['key', 'value']);

export const settingsProjection: Projection = {
  name: 'settings',
  version: 1,
  tables: [settingsTable],
  handles: new Set(['settings.changed']),
  apply(view: ViewWriter, e: DomainStoredEvent): void {
    if (e.type !== 'settings.changed') return;
    view.put(settingsTable, { key: e.data.key, value: JSON.stringify(e.data.value) });
  },
};

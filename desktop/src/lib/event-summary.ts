import type { EventJson } from '../../../src/ipc/protocol.js';

/** The part of the type before the dot: download, routing, file, scan, model, update(s), settings, … */
export function eventCategory(type: string): string {
  return type.split('.')[0] ?? type;
}

/** Categories grouped the way the timeline filters them. */
export const TIMELINE_GROUPS = {
  downloads: ['download', 'routing', 'sidecar'],
  library: ['file', 'scan', 'model', 'update', 'updates', 'notification'],
  settings: ['settings'],
} as const;
export type TimelineGroup = keyof typeof TIMELINE_GROUPS;

export function groupOf(type: string): TimelineGroup | 'other' {
  const category = eventCategory(type);
  for (const [group, categories] of Object.entries(TIMELINE_GROUPS) as [TimelineGroup, readonly string[]][]) {
    if (categories.includes(category)) return group;
  }
  return 'other';
}

const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const mib = (v: unknown): string => (typeof v === 'number' ? `${(v / (1024 * 1024)).toFixed(1)} MB` : '');

/** "download.hash_verified" → "Hash verified" (downloads are most of the feed); "sidecar.written" → "Sidecar written". */
export function eventTitle(type: string): string {
  const category = eventCategory(type);
  const name = type.slice(category.length + 1).replace(/_/g, ' ');
  const words = category === 'download' || name.includes(' ') ? name : `${category} ${name}`;
  return words.charAt(0).toUpperCase() + words.slice(1);
}

const TONES: Readonly<Record<string, EventTone>> = {
  'download.failed': 'bad',
  'download.hash_mismatched': 'bad',
  'file.missing': 'bad',
  'download.placed': 'good',
  'download.hash_verified': 'good',
  'file.identified': 'good',
  'model.version_discovered': 'good',
  'download.paused': 'warn',
  'download.cancelled': 'warn',
  'download.transfer_restarted': 'warn',
  'model.file_replaced': 'warn',
};
export type EventTone = 'bad' | 'good' | 'warn' | 'plain';

/** How an event should catch the eye: failures red, results green, interruptions amber. */
export function eventTone(type: string): EventTone {
  return TONES[type] ?? 'plain';
}

/** One line saying what happened, in words; unknown types fall back to their data. */
export function summarizeEvent(e: Pick<EventJson, 'type' | 'data'>): string {
  const d = e.data;
  switch (e.type) {
    case 'download.requested':
      return text(d.input) || 'Download requested';
    case 'download.resolved':
      return `${text(d.modelName)} · ${text(d.versionName)} → ${text(d.fileName)}`;
    case 'download.attempt_started':
      return `Attempt ${text(d.attempt)}`;
    case 'download.transfer_planned':
      return `${mib(d.totalBytes)} in ${Array.isArray(d.segments) ? d.segments.length : 1} segment(s)`;
    case 'download.chunk_written':
      return `${mib(d.length)} written at ${mib(d.offset)}`;
    case 'download.transfer_restarted':
      return text(d.reason);
    case 'download.transfer_completed':
      return `${mib(d.bytes)} received`;
    case 'download.hash_verified':
      return `SHA-256 ${text(d.sha256).slice(0, 12)}… matches CivitAI`;
    case 'download.hash_mismatched':
      return `Expected ${text(d.expected).slice(0, 12)}…, got ${text(d.actual).slice(0, 12)}…`;
    case 'download.placed':
      return d.alreadyPresent === true ? `${text(d.path)} (already there)` : text(d.path);
    case 'download.paused':
      return text(d.message) || (d.reason === 'user' ? 'Paused by you' : text(d.reason));
    case 'download.failed':
      return `${text(d.code)}: ${text(d.message)}`;
    case 'routing.decided':
      return `${text(d.folder)} — ${text(d.reason)}`;
    case 'sidecar.written':
      return text(d.path);
    case 'file.discovered':
    case 'file.missing':
    case 'file.returned':
    case 'file.hashed':
      return text(d.path);
    case 'file.moved':
      return `${text(d.from)} → ${text(d.to)}`;
    case 'file.identified':
      return `${text(d.modelName)} · ${text(d.versionName)}`;
    case 'model.version_discovered':
      return `New version ${text(d.versionName)}${d.baseModel ? ` (${text(d.baseModel)})` : ''}`;
    case 'updates.checked':
      return `${text(d.models)} model(s) checked, ${text(d.discovered)} new version(s)${d.failed ? ` — ${text(d.failed)}` : ''}`;
    case 'scan.completed':
      return `${text(d.files)} file(s), ${text(d.discovered)} new, ${text(d.identified)} identified`;
    case 'settings.changed':
      return `${text(d.key)} = ${text(d.value)}`;
    case 'notification.sent':
      return text(d.summary);
    default: {
      const json = JSON.stringify(d);
      return json === '{}' ? '' : json.slice(0, 160);
    }
  }
}

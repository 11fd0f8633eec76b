import type { EventJson } from '../../../src/ipc/protocol.js';
import { formatBytes } from './format.js';
import { forTheApp } from './messages.js';

/** The part of the type before the dot: download, routing, file, scan, model, update(s), settings, … */
export function eventCategory(type: string): string {
  return type.split('.')[0] ?? type;
}

/** The timeline's filters, as the stream categories each covers (the log pages by those). */
export const TIMELINE_GROUPS = {
  downloads: ['download'],
  library: ['file', 'scan', 'model', 'huggingface', 'updates', 'notify'],
  settings: ['settings'],
} as const;
export type TimelineGroup = keyof typeof TIMELINE_GROUPS;

/** The filter a stream's events belong to. */
export function groupOfStream(streamId: string): TimelineGroup | 'other' {
  const dash = streamId.indexOf('-');
  const category = dash < 0 ? streamId : streamId.slice(0, dash);
  for (const [group, categories] of Object.entries(TIMELINE_GROUPS) as [TimelineGroup, readonly string[]][]) {
    if (categories.includes(category)) return group;
  }
  return 'other';
}

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
  'download.retry_scheduled': 'warn',
  'download.connection_retried': 'warn',
  'model.file_replaced': 'warn',
  'huggingface.file_changed': 'good',
};
export type EventTone = 'bad' | 'good' | 'warn' | 'plain';

/** How an event should catch the eye: failures red, results green, interruptions amber. */
export function eventTone(type: string): EventTone {
  return TONES[type] ?? 'plain';
}

const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const bytes = (v: unknown): string => (typeof v === 'number' ? formatBytes(v) : '');
const short = (v: unknown): string => text(v).slice(0, 12);
const seconds = (v: unknown): string => (typeof v === 'number' ? `${Math.max(1, Math.round(v / 1000))} s` : '');
const plural = (n: unknown, one: string, many = `${one}s`): string => `${text(n)} ${n === 1 ? one : many}`;
const list = (v: unknown): string => (Array.isArray(v) ? v.map(text).filter(Boolean).join(', ') : '');

type Summary = (d: Record<string, unknown>) => string;

/** One line per event type, saying what happened in words. */
const SUMMARIES: Readonly<Record<string, Summary>> = {
  'download.requested': (d) => text(d.input) || 'Download requested',
  'download.resolved': (d) => `${text(d.modelName)} · ${text(d.versionName)} → ${text(d.fileName)} (${bytes(d.sizeBytes)})`,
  'download.attempt_started': (d) => `Attempt ${text(d.attempt)} started`,
  'download.transfer_planned': (d) => `${bytes(d.totalBytes)} in ${plural(Array.isArray(d.segments) ? d.segments.length : 1, 'segment')}`,
  'download.validator_seen': (d) =>
    d.etag ? `The server tags this file ${text(d.etag).replace(/^W\//, '').replace(/"/g, '')}` : d.lastModified ? `The server dates this file ${text(d.lastModified)}` : 'The server gave no version tag',
  'download.chunk_written': (d) => `${bytes(d.length)} written at ${bytes(d.offset)} (segment ${text(d.segment)})`,
  'download.segment_split': (d) => `Segment ${text(d.segment)} split at ${bytes(d.at)}: a free connection took the rest (segment ${text(d.newSegment)})`,
  'download.transfer_restarted': (d) => `Started over: ${text(d.reason)}`,
  'download.transfer_completed': (d) => `${bytes(d.bytes)} received`,
  'download.hash_verified': (d) => `Verified against the source: SHA-256 ${short(d.sha256)}…`,
  'download.hash_mismatched': (d) => `Expected ${d.algorithm === 'git-blob' ? 'git blob id' : 'SHA-256'} ${short(d.expected)}…, got ${short(d.actual)}…; quarantined`,
  'download.placed': (d) => (d.alreadyPresent === true ? `${text(d.path)} (an identical file was already there)` : `${text(d.path)} (${bytes(d.sizeBytes)})`),
  'download.paused': (d) => forTheApp(text(d.message)) || (d.reason === 'user' ? 'Paused by you' : 'Paused: the disk is full'),
  'download.resumed': () => 'Resumed',
  'download.cancelled': () => 'Cancelled',
  'download.retried': () => 'Retried: downloading again',
  'download.failed': (d) => `${forTheApp(text(d.message))}${d.retryable === true ? ' (can be retried)' : ''}`,
  'download.retry_scheduled': (d) => `Trying again in ${seconds(d.delayMs)} (retry ${text(d.retry)}): ${forTheApp(text(d.message))}`,
  'download.connection_retried': (d) =>
    `${d.segment === null ? 'Checking the file' : `Connection ${text(d.segment)}`}: ${d.failure === 'stall' ? 'stalled' : 'failed'} (${text(d.detail)}); again in ${seconds(d.delayMs)}`,
  'download.url_refreshed': (d) => `Asked for a fresh download link: ${text(d.reason)}`,
  'routing.decided': (d) => `${text(d.folder)} — ${text(d.reason)}`,
  'sidecar.moved': (d) => `${plural(Array.isArray(d.moved) ? d.moved.length : 0, 'sidecar or preview', 'sidecars and previews')} followed ${text(d.path)}`,
  'sidecar.written': (d) => `${text(d.path)}${d.previewPath ? ' with a preview' : ''}`,
  'scan.started': (d) => `Scanning ${plural(Array.isArray(d.roots) ? d.roots.length : 0, 'folder')}: ${list(d.roots)}`,
  'scan.completed': (d) => `${plural(d.files, 'file')}, ${text(d.discovered)} new, ${text(d.identified)} identified, ${text(d.missing)} missing, ${text(d.hashed)} hashed`,
  'file.hashed': (d) => `${text(d.path)} (${bytes(d.size)})`,
  'file.discovered': (d) => `${text(d.path)} (${bytes(d.sizeBytes)}) in ${text(d.folder)}`,
  'file.identified': (d) => `${text(d.modelName)} · ${text(d.versionName)}${d.source === 'sidecar' ? ' (from a sidecar)' : ''}`,
  'file.unidentified': (d) => `CivitAI does not know SHA-256 ${short(d.sha256)}…`,
  'file.moved': (d) => `${text(d.from)} → ${text(d.to)}`,
  'file.missing': (d) => `${text(d.path)} is gone from disk`,
  'file.returned': (d) => `${text(d.path)} is back`,
  'file.verified': (d) => `${text(d.path)}: ${d.status === 'ok' ? 'the hash matches' : d.status === 'changed' ? 'the file changed on disk' : 'missing'}`,
  'model.version_discovered': (d) => `New version ${text(d.versionName)}${d.baseModel ? ` (${text(d.baseModel)})` : ''}`,
  'huggingface.file_changed': (d) =>
    `A newer commit on ${text(d.branch)} of ${text(d.repo)} changed ${text(d.path)}${d.title ? `: ${text(d.title)}` : ''}`,
  'model.file_replaced': (d) => `CivitAI now serves other bytes for version ${text(d.versionId)} (${short(d.installedSha256)}… → ${short(d.remoteSha256)}…)`,
  'update.ignored': (d) => (d.versionId === null ? `Updates of model ${text(d.modelId)} ignored` : `Version ${text(d.versionId)} of model ${text(d.modelId)} ignored`),
  'updates.checked': (d) => `${plural(d.models, 'model')} checked, ${plural(d.discovered, 'new version')}${d.failed ? `; failed: ${text(d.failed)}` : ''}`,
  'settings.changed': (d) => `${text(d.key)} set to ${text(d.value)}`,
  'notification.sent': (d) => text(d.summary),
};

/** Whether the timeline has words of its own for this type (the rest get the generic line). */
export function hasSummary(type: string): boolean {
  return Object.hasOwn(SUMMARIES, type);
}

/** "nextAttemptAt" → "next attempt at". */
const words = (key: string): string => key.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();

/**
 * Events of a type this app does not know yet (a newer daemon): their fields in words, never raw JSON.
 */
function genericSummary(d: Record<string, unknown>): string {
  return Object.entries(d)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .slice(0, 4)
    .map(([k, v]) => `${words(k)}: ${typeof v === 'number' && /bytes|size|length|offset/i.test(k) ? formatBytes(v) : String(v)}`)
    .join(' · ');
}

/** One line saying what happened, in words. */
export function summarizeEvent(e: Pick<EventJson, 'type' | 'data'>): string {
  const summary = SUMMARIES[e.type];
  return summary === undefined ? genericSummary(e.data) : summary(e.data);
}

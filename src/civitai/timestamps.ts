// CivitAI timestamps come with and without a zone (`2023-07-28T20:27:03.5`); zone-less ones are UTC. Reading
// them with Date.parse alone would take them as local time.
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/** Milliseconds since the epoch, or undefined when the text is not an ISO-8601 date-time. */
export function parseCivitaiTimestamp(text: string | null | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  if (!ISO_DATE_TIME.test(trimmed)) return undefined;
  const withZone = HAS_ZONE.test(trimmed) || !trimmed.includes('T') ? trimmed : `${trimmed}Z`;
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : ms;
}

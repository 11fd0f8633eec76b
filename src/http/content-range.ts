// The one reading of Content-Range, for the probe and the transfer alike.

/** `bytes first-last/total` (total `*` when the server does not know it); undefined for anything else. */
export function parseContentRange(value: string | undefined): { first: number; last: number; total: number | undefined } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? '');
  if (match === null) return undefined;
  const [, first, last, total] = match;
  return { first: Number(first), last: Number(last), total: total === '*' ? undefined : Number(total) };
}

// CivitAI's `metadata.nextPage`: the request's own parameters plus `cursor=` (SRC getNextPage), encoded like
// the real one (`%20`, never `+`).
export function nextPageUrl(apiUrl: string, path: string, params: URLSearchParams, cursor: string): string {
  const pairs = [...params].filter(([key]) => key !== 'cursor');
  pairs.push(['cursor', cursor]);
  return `${apiUrl}${path}?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;
}

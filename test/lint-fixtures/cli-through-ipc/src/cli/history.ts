// The CLI reading the store behind the daemon's back, through a dynamic import.
export async function history(): Promise<unknown> {
  const { readAll } = await import('../store/event-store.js');
  return readAll();
}

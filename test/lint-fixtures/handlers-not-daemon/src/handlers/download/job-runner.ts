// A dynamic import is an arrow too.
export async function log(message: string): Promise<void> {
  const { createLog } = await import('../../daemon/log.js');
  createLog()(message);
}

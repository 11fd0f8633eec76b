import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../scripts/postgres-server.js';

/**
 * Vitest's global setup for the run on PostgreSQL (`COMFYUI_DL_TEST_BACKEND=postgres`): one server for the whole
 * run, started before any worker, stopped after the last; the workers learn its port and password through
 * `inject('postgres')` and `daemonHome()` makes each daemon its own database there.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres();
  project.provide('postgres', { port: server.port, password: server.password });
  return () => server.stop();
}

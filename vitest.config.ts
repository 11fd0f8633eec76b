import { defineConfig } from 'vitest/config';
import { postgresMissing } from './scripts/postgres-server.js';

// `COMFYUI_DL_TEST_BACKEND=postgres`: the daemons the tests spawn keep their log in PostgreSQL, one database each on
// one server for the run. Where no server can start the pass has nothing to run and says why, unless
// COMFYUI_DL_REQUIRE_POSTGRES makes that a failure (CI).
const onPostgres = process.env.COMFYUI_DL_TEST_BACKEND === 'postgres';
if (onPostgres && postgresMissing) {
  if (process.env.COMFYUI_DL_REQUIRE_POSTGRES) throw new Error(`PostgreSQL is required here: ${postgresMissing}`);
  console.warn(`skipping the tests on PostgreSQL: ${postgresMissing}`);
}
const skipPass = onPostgres && postgresMissing !== undefined;

export default defineConfig({
  test: {
    include: skipPass ? [] : ['src/**/*.test.ts', 'test/**/*.test.ts'],
    passWithNoTests: skipPass,
    globalSetup: onPostgres && !skipPass ? ['test/support/postgres-backend.ts'] : [],
    // Integration tests spawn daemons and HTTP servers; on a 2-core machine two workers keep them honest.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

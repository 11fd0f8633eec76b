import { postgresMissing } from '../../scripts/postgres-server.js';

export { postgresMissing, startPostgres, type PgServer } from '../../scripts/postgres-server.js';

// Where no server binaries exist the tests that need one skip and say why, except when COMFYUI_DL_REQUIRE_POSTGRES is
// set (CI): there it is a failure.
if (postgresMissing && process.env.COMFYUI_DL_REQUIRE_POSTGRES) throw new Error(`PostgreSQL is required here: ${postgresMissing}`);

// The migrations are written once, in SQLite's dialect, and frozen. On PostgreSQL each statement passes through
// this translation, so both databases get the same tables from the same files and a new migration is written once.
import { RawNode, type KyselyPlugin, type Migration, type MigrationProvider } from 'kysely';

const TRIGGER = /^\s*CREATE TRIGGER (\w+) BEFORE (UPDATE|DELETE) ON (\w+)\s+BEGIN SELECT RAISE\(ABORT, '([^']*)'\); END\s*$/;

export function toPostgres(statement: string): string {
  const trigger = TRIGGER.exec(statement);
  if (trigger) {
    const [, name, operation, table, message] = trigger;
    return `CREATE FUNCTION ${name}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '${message}'; END $$;
      CREATE TRIGGER ${name} BEFORE ${operation} ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${name}_refuse()`;
  }
  return statement
    // The append assigns global positions itself, under the lock that orders appends, so none is ever skipped.
    .replace(/\bINTEGER PRIMARY KEY AUTOINCREMENT\b/g, 'BIGINT PRIMARY KEY')
    // Byte counts pass 2^31; SQLite's INTEGER is 64-bit.
    .replace(/\bINTEGER\b/g, 'BIGINT')
    .replace(/\bREAL\b/g, 'DOUBLE PRECISION')
    .replace(/\)\s*STRICT\s*$/, ')');
}

const translate: KyselyPlugin = {
  transformQuery: ({ node }) => (RawNode.is(node) ? { ...node, sqlFragments: node.sqlFragments.map(toPostgres) } : node),
  transformResult: async ({ result }) => result,
};

/** The same migrations, each statement translated to PostgreSQL. */
export function postgresMigrations(provider: MigrationProvider): MigrationProvider {
  return {
    getMigrations: async () => {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(await provider.getMigrations())) out[name] = { up: (db) => m.up(db.withPlugin(translate)) };
      return out;
    },
  };
}

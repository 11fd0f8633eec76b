// Runs the simulator on its own, for manual use and for benchmarks in another process:
//   node dist/src/simulator/main.js [--port N] [--api-key K] [--big-file-mib M] [--throttle-bytes-per-second B]
//     [--many-files N --many-file-mib M]
// Prints one JSON line with both URLs (and the big file's ids when asked for), then serves until killed.
import { parseArgs } from 'node:util';
import { BIG_FILE_IDS, MANY_FILES_FIRST_VERSION, bigFileModel, defaultWorld, manyFileModels } from './default-world.js';
import { startSimulator } from './index.js';

const MIB = 1024 * 1024;

function optionalNumber(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0) throw new Error(`${flag} needs a whole number, got "${value}"`);
  return number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'api-key': { type: 'string' },
      'big-file-mib': { type: 'string' },
      'throttle-bytes-per-second': { type: 'string' },
      'many-files': { type: 'string' },
      'many-file-mib': { type: 'string' },
    },
  });
  const port = optionalNumber(values.port, '--port');
  const bigFileMib = optionalNumber(values['big-file-mib'], '--big-file-mib');
  const throttle = optionalNumber(values['throttle-bytes-per-second'], '--throttle-bytes-per-second');
  const manyFiles = optionalNumber(values['many-files'], '--many-files') ?? 0;
  const manyFileMib = optionalNumber(values['many-file-mib'], '--many-file-mib') ?? 16;
  const world = defaultWorld();
  const extra = [...(bigFileMib === undefined ? [] : [bigFileModel(bigFileMib * MIB)]), ...manyFileModels(manyFiles, manyFileMib * MIB)];
  const sim = await startSimulator({
    world: { models: [...world.models, ...extra] },
    apiKey: values['api-key'],
    // With a fixed port, storage takes the next one so both are predictable.
    apiPort: port,
    storagePort: port ? port + 1 : undefined,
  });
  // Every storage connection, for as long as the simulator runs: a server that caps each connection.
  if (throttle) sim.addFault({ kind: 'throttle', bytesPerSecond: throttle, times: Infinity });
  console.log(JSON.stringify({
    apiUrl: sim.apiUrl,
    storageUrl: sim.storageUrl,
    ...(bigFileMib === undefined ? {} : { bigFile: BIG_FILE_IDS }),
    ...(manyFiles === 0 ? {} : { manyFiles: { firstVersionId: MANY_FILES_FIRST_VERSION, count: manyFiles } }),
  }));
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

await main();

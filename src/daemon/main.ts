import { err } from 'neverthrow';
import { settingsReport, type Config } from '../config/index.js';
import { startDaemon } from './daemon.js';
import { createLog } from '../lib/log.js';
import { passwordOf } from '../lib/redact.js';

const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** `comfyui-dl daemon`: runs until SIGTERM, SIGINT or SIGHUP, then stops cleanly. Returns the process exit code. */
export async function runDaemonUntilSignal(config: Config): Promise<number> {
  const log = createLog(() => [config.apiKey, config.hfToken, ...passwordOf(config.databaseUrl ?? '')].filter((secret): secret is string => secret !== undefined));
  // SIGHUP too: a closed terminal or an SSH session that drops must not kill the daemon mid-write and leave its
  // socket and pid file behind. Every one of them stops it the same graceful way, even one that arrives while it
  // is still starting (the stop then follows the start).
  const abort = new AbortController();
  const stopRequested = new Promise<void>((resolve) => {
    for (const signal of STOP_SIGNALS) process.once(signal, () => (abort.abort(), resolve()));
  });
  const started = await startDaemon(
    {
      report: settingsReport(config),
      modelsDir: config.modelsDir,
      dataDir: config.dataDir,
      socket: config.socket,
      civitaiUrl: config.civitaiUrl,
      concurrency: config.concurrency,
      connections: config.connections,
      totalConnections: config.totalConnections,
      updateIntervalSeconds: config.updateInterval,
      apiKey: () => config.apiKey,
      hfEndpoint: config.hfEndpoint,
      hfToken: () => config.hfToken,
      databaseUrl: () => config.databaseUrl ?? undefined,
      host: config.hostName,
      previewMaxNsfwLevel: config.previewNsfwLevel,
      pathTemplate: config.pathTemplate,
      extraModelPaths: config.extraModelPaths,
      defaultRoot: config.defaultRoot,
      earlyAccessUpdates: config.earlyAccessUpdates,
      sameBaseModelUpdates: config.sameBaseModelUpdates,
    },
    log,
    abort.signal,
  ).catch((e: unknown) => err({ code: 'START_FAILED', message: `${e instanceof Error ? e.message : String(e)} (unexpected: please report it)` }));
  if (started.isErr()) {
    log(`cannot start: ${started.error.message}`);
    // 2 (bad settings, a damaged log) needs a person: the unit's RestartPreventExitStatus keeps systemd from looping.
    return started.error.code === 'DAEMON_RUNNING' ? 1 : started.error.code === 'START_FAILED' ? 70 : 2;
  }
  for (const w of config.warnings) log(`warning: ${w}`);
  // Crash-only: after a bug nothing in memory can be trusted, but the log can. Exit non-zero, so systemd restarts
  // the daemon, which resumes every job from its last durable event.
  process.on('uncaughtException', (e) => {
    log(`fatal: ${e.stack ?? e.message}`);
    process.exit(70);
  });
  await stopRequested;
  log('stopping: finishing the current transaction, closing the log and the socket');
  await started.value.stop();
  return 0;
}

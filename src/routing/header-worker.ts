// The header worker's thread: reads and classifies one model file's header per message. A header may be up to
// 100 MB of hostile JSON; here it costs this thread's time and heap, never the daemon's event loop.
import { parentPort } from 'node:worker_threads';
import { inspectFileHere } from './inspect-file.js';

interface Job {
  readonly id: number;
  readonly path: string;
  readonly fileName: string;
}

parentPort?.on('message', (job: Job) => {
  void inspectFileHere(job.path, job.fileName).then((result) => parentPort?.postMessage({ id: job.id, result }));
});

// Said once this thread's modules are loaded, so the caller's time budget covers reading and not start-up.
parentPort?.postMessage({ ready: true });

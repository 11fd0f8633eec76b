import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DaemonLink } from './daemon-link.js';
import { securityHeaders } from './http-reply.js';
import { createProgressThrottle, sseMessage, streamStart } from './sse.js';

export interface EventStreamOptions {
  /** Default 250 ms: four progress updates a second per job. */
  readonly progressIntervalMs?: number;
  /** Default 15 s: a comment line that lets both ends notice a dead connection. */
  readonly heartbeatMs?: number;
  /** Default 2 s: how soon the browser reconnects after the stream ends (daemon restarting). */
  readonly reconnectMs?: number;
}

/**
 * `GET /api/events`: the daemon's `events.subscribe` as Server-Sent Events. Messages: `event` (id = log
 * position, so a reconnecting EventSource resumes without a gap), `job` (a download job's JSON after an event
 * changed it: the Downloads page renders from these without asking), `caught_up`, `progress`, and `end` when the
 * daemon goes away; the browser then reconnects by itself and takes up where it stopped.
 */
export function handleEventStream(link: DaemonLink, url: URL, req: IncomingMessage, res: ServerResponse, options: EventStreamOptions = {}): void {
  const lastEventId = req.headers['last-event-id'];
  const from = streamStart(url.searchParams.get('from'), Array.isArray(lastEventId) ? lastEventId[0] : lastEventId);
  res.writeHead(200, {
    ...securityHeaders(),
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-store',
    Connection: 'keep-alive',
  });
  res.write(`retry: ${options.reconnectMs ?? 2000}\n\n`);

  const write = (text: string): void => {
    if (!res.writableEnded) res.write(text);
  };
  const throttle = createProgressThrottle(options.progressIntervalMs ?? 250, (frame) => write(sseMessage('progress', frame)));
  const heartbeat = setInterval(() => write(': keep-alive\n\n'), options.heartbeatMs ?? 15_000);

  const subscription = link.subscribe(from === undefined ? { jobs: true } : { from, jobs: true }, (frame) => {
    switch (frame.t) {
      case 'event':
        throttle.flush();
        write(sseMessage('event', frame.event, frame.event.position));
        return;
      case 'job':
        write(sseMessage('job', frame.job));
        return;
      case 'caught_up':
        write(sseMessage('caught_up', { position: frame.position }));
        return;
      case 'progress': {
        const { t: _t, sub: _sub, ...progress } = frame;
        throttle.push(progress);
        return;
      }
      case 'end':
        throttle.flush();
        write(sseMessage('end', { error: frame.error ?? null }));
        stop();
        res.end();
    }
  });

  const stop = (): void => {
    clearInterval(heartbeat);
    throttle.stop();
    subscription.close();
  };
  req.once('close', stop);
}

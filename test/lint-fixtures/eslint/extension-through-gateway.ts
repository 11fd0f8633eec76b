// Linted as extension/src/fixture.ts: the browser extension reaching for the daemon's socket.
import { startIpcServer } from '../../src/ipc/server.js';

export const server = startIpcServer;

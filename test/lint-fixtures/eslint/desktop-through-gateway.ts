// Linted as desktop/src/fixture.ts: the app reading the store instead of asking the gateway.
import { createEventStore } from '../../src/store/event-store.js';

export const store = createEventStore;

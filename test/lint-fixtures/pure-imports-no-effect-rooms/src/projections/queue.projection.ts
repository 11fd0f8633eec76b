import { appendEvent } from '../store/event-store.js';

export const fold = (): void => appendEvent();

// STORAGE FORMAT: never change a shape in place; add a version with an upcaster (registry.ts).
import { z } from 'zod';
import { defineEvent } from './registry.js';

/** Settings a user can change while the daemon runs; startup settings (paths, socket) stay in the config file. */
export const LiveSettings = z.object({
  concurrency: z.number().int().min(1).max(16),
  connections: z.number().int().min(1).max(16),
});
export type LiveSettings = z.infer<typeof LiveSettings>;
export const LiveSettingKey = z.enum(['concurrency', 'connections']);

export const settingsChanged = defineEvent(
  'settings.changed',
  z.object({ key: LiveSettingKey, value: z.number().int().min(1).max(16) }),
);

export const settingsEvents = [settingsChanged] as const;

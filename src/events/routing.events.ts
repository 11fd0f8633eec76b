// STORAGE FORMAT: never change a shape in place; add a version with an upcaster (registry.ts).
import { z } from 'zod';
import { defineEvent } from './registry.js';

/** Why a file went where it went: the header's verdict, CivitAI's label, and which one won. */
export const routingDecided = defineEvent(
  'routing.decided',
  z.object({
    folder: z.string().min(1),
    kind: z.string(),
    architecture: z.string().nullable(),
    baseModel: z.string().nullable(),
    declaredType: z.string().nullable(),
    signals: z.array(z.string()),
    reason: z.string(),
    confidence: z.enum(['high', 'medium', 'low']),
    flagged: z.enum(['pickle', 'unreadable-header']).nullable(),
  }),
);

export const sidecarWritten = defineEvent(
  'sidecar.written',
  z.object({ path: z.string().min(1), previewPath: z.string().nullable() }),
);

/** A model file moved and the sidecars and previews left beside its old path were moved beside it. */
export const sidecarMoved = defineEvent(
  'sidecar.moved',
  z.object({
    /** The model file's path, as the catalog names it. */
    path: z.string().min(1),
    moved: z.array(z.object({ from: z.string().min(1), to: z.string().min(1) })).min(1),
  }),
);

export const routingEvents = [routingDecided, sidecarWritten, sidecarMoved] as const;

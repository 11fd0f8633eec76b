import { redactDeep } from '../lib/redact.js';
import type { EventRegistry } from './registry.js';

/**
 * The log is append-only: a credential written into it could never be taken out again. Every event the daemon
 * appends is encoded through here, so credentials in URLs (a pasted `https://user:pass@…`, `?api_key=`,
 * `#token=`), Hugging Face tokens and the configured keys are masked before the row exists, whichever handler
 * built the event. Masking happens before validation, so what is stored is what the schema accepted.
 */
export function redactingRegistry(registry: EventRegistry, secrets: () => readonly string[]): EventRegistry {
  return { ...registry, encode: (type, data) => registry.encode(type, redactDeep(data, secrets())) };
}

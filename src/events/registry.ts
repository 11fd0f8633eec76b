import { err, ok, type Result } from 'neverthrow';
import type { z } from 'zod';

/**
 * An event type: its current schema and version, and the frozen schemas of older versions with the function
 * that lifts each to the next. Stored rows are never rewritten; old shapes are upcast when read.
 */
export interface EventDefinition<TType extends string = string, TSchema extends z.ZodType = z.ZodType> {
  readonly type: TType;
  readonly version: number;
  readonly schema: TSchema;
  readonly past: Readonly<Record<number, { readonly schema: z.ZodType; readonly up: (data: unknown) => unknown }>>;
}

export function defineEvent<TType extends string, TSchema extends z.ZodType>(
  type: TType,
  schema: TSchema,
  options: { version?: number; past?: EventDefinition['past'] } = {},
): EventDefinition<TType, TSchema> {
  return { type, version: options.version ?? 1, schema, past: options.past ?? {} };
}

export type DecodeError =
  | { readonly code: 'UNKNOWN_EVENT_TYPE'; readonly message: string }
  | { readonly code: 'UNKNOWN_EVENT_VERSION'; readonly message: string }
  | { readonly code: 'INVALID_EVENT_DATA'; readonly message: string };

export interface EventRegistry {
  readonly definitions: ReadonlyMap<string, EventDefinition>;
  /** Validates an old or current version and lifts it to the current shape. */
  decode(type: string, version: number, data: unknown): Result<unknown, DecodeError>;
  /** Lifts without validating: for rows this daemon validated when it wrote them (replay's fast path). */
  upcastTrusted(type: string, version: number, data: unknown): unknown;
  /** Validates data against the current schema before it is written. */
  encode(type: string, data: unknown): Result<{ version: number; data: unknown }, DecodeError>;
}

export function createRegistry(definitions: readonly EventDefinition[]): EventRegistry {
  const byType = new Map(definitions.map((d) => [d.type, d]));

  const lift = (def: EventDefinition, version: number, data: unknown, validate: boolean): Result<unknown, DecodeError> => {
    let current = data;
    for (let v = version; v < def.version; v++) {
      const step = def.past[v];
      if (!step) return err({ code: 'UNKNOWN_EVENT_VERSION', message: `${def.type} has no upcaster from version ${v}` });
      if (validate) {
        const parsed = step.schema.safeParse(current);
        if (!parsed.success) return err(invalid(def.type, v, parsed.error));
        current = parsed.data;
      }
      current = step.up(current);
    }
    if (!validate) return ok(current);
    const parsed = def.schema.safeParse(current);
    return parsed.success ? ok(parsed.data) : err(invalid(def.type, def.version, parsed.error));
  };

  const find = (type: string, version: number): Result<EventDefinition, DecodeError> => {
    const def = byType.get(type);
    if (!def) return err({ code: 'UNKNOWN_EVENT_TYPE', message: `unknown event type '${type}'` });
    if (version < 1 || version > def.version) {
      return err({ code: 'UNKNOWN_EVENT_VERSION', message: `${type} version ${version} is newer than this build knows (${def.version}); upgrade comfyui-dl` });
    }
    return ok(def);
  };

  return {
    definitions: byType,
    decode: (type, version, data) => find(type, version).andThen((def) => lift(def, version, data, true)),
    upcastTrusted: (type, version, data) => {
      const def = byType.get(type);
      if (!def || version >= def.version) return data;
      return lift(def, version, data, false).unwrapOr(data);
    },
    encode: (type, data) =>
      find(type, byType.get(type)?.version ?? 1).andThen((def) => {
        const parsed = def.schema.safeParse(data);
        return parsed.success
          ? ok({ version: def.version, data: parsed.data })
          : err(invalid(type, def.version, parsed.error));
      }),
  };
}

function invalid(type: string, version: number, error: z.ZodError): DecodeError {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  return { code: 'INVALID_EVENT_DATA', message: `${type} v${version}${where}: ${issue?.message ?? 'invalid'}` };
}

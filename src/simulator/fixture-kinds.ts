// The 26 real model kinds in fixtures/safetensors, turned into file bodies the storage host can serve.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { projectRoot } from '../config/project-root.js';
import { buildSafetensorsHeader, tensorByteLength, type TensorSpec } from '../safetensors/build.js';
import { generatedContent, type FileContent } from './content.js';
import { benignStateDictPickle } from './pickle.js';

const kindFixtureSchema = z.object({
  kind: z.string(),
  container: z.enum(['safetensors', 'pth']),
  tensors: z.record(z.string(), z.object({ dtype: z.string(), shape: z.array(z.number().int().nonnegative()) })),
  metadata: z.record(z.string(), z.string()).default({}),
});
export type KindFixture = z.infer<typeof kindFixtureSchema>;

const fixtures = new Map<string, KindFixture>();

/** `name` is a file name in fixtures/safetensors without `.json`, e.g. `sd15-checkpoint`. */
export function kindFixture(name: string): KindFixture {
  let fixture = fixtures.get(name);
  if (!fixture) {
    const path = join(projectRoot(import.meta.url), 'fixtures', 'safetensors', `${name}.json`);
    fixture = kindFixtureSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    fixtures.set(name, fixture);
  }
  return fixture;
}

/** Largest tensor kept after shrinking; with ~100 tensors per fixture this keeps files at a few MB. */
const SHRUNK_TENSOR_BYTES = 64 * 1024;

/**
 * Shrinks big tensors by cutting their first dimension only. Routing reads input widths (`shape[1]`,
 * `shape[-1]`), latent channels and 1-D lengths to tell architectures apart, and those all survive.
 */
function shrinkTensors(tensors: Readonly<Record<string, TensorSpec>>): Record<string, TensorSpec> {
  const shrunk: Record<string, TensorSpec> = {};
  for (const [name, spec] of Object.entries(tensors)) {
    const bytes = tensorByteLength(spec);
    const [rows, ...rest] = spec.shape;
    if (rows === undefined || rest.length === 0 || bytes <= SHRUNK_TENSOR_BYTES) {
      shrunk[name] = spec;
      continue;
    }
    shrunk[name] = { dtype: spec.dtype, shape: [Math.max(1, Math.floor((rows * SHRUNK_TENSOR_BYTES) / bytes)), ...rest] };
  }
  return shrunk;
}

/**
 * Grows the largest tensor along its first dimension until the tensors hold at least `minBytes`, for big
 * benchmark files that still carry a real header.
 */
function growTensors(tensors: Readonly<Record<string, TensorSpec>>, minBytes: number): Record<string, TensorSpec> {
  const entries = Object.entries(tensors);
  const total = entries.reduce((sum, [, spec]) => sum + tensorByteLength(spec), 0);
  const largest = entries.reduce<[string, TensorSpec] | undefined>(
    (best, entry) => (best === undefined || tensorByteLength(entry[1]) > tensorByteLength(best[1]) ? entry : best),
    undefined,
  );
  if (!largest || total >= minBytes) return { ...tensors };
  const [name, spec] = largest;
  const [rows = 1, ...rest] = spec.shape;
  const rowBytes = tensorByteLength({ dtype: spec.dtype, shape: [1, ...rest] });
  const extraRows = Math.ceil((minBytes - total) / rowBytes);
  return { ...tensors, [name]: { dtype: spec.dtype, shape: [rows + extraRows, ...rest] } };
}

/** What a simulated file contains. */
export type ContentSpec =
  /** A real safetensors header from a kind fixture, then filler up to the declared length. Shapes are shrunk
   *  unless `fullSize` (the real sizes are hundreds of MB to GBs); `minSize` grows the file to at least that. */
  | {
      readonly format: 'safetensors';
      readonly fixture: string;
      readonly fullSize?: boolean;
      readonly minSize?: number;
      readonly metadata?: Readonly<Record<string, string>>;
    }
  /** A pickle-style `.ckpt`/`.pt`: a harmless pickle listing the fixture's keys, then filler. */
  | { readonly format: 'pickle'; readonly fixture: string; readonly size: number }
  /** Filler only, any size (benchmarks ask for 1 GiB). */
  | { readonly format: 'bytes'; readonly size: number };

export interface BuiltContent {
  readonly content: FileContent;
  /** Where tensor data starts (safetensors only): the AutoV3 hash covers what follows. */
  readonly tensorDataStart?: number;
}

export function buildContent(spec: ContentSpec, seed: string): BuiltContent {
  switch (spec.format) {
    case 'safetensors': {
      const fixture = kindFixture(spec.fixture);
      const sized = spec.fullSize ? fixture.tensors : shrinkTensors(fixture.tensors);
      const tensors = spec.minSize === undefined ? sized : growTensors(sized, spec.minSize);
      const { prefix, fileLength } = buildSafetensorsHeader(tensors, spec.metadata ?? fixture.metadata);
      return { content: generatedContent(seed, fileLength, prefix), tensorDataStart: prefix.length };
    }
    case 'pickle': {
      const prefix = benignStateDictPickle(Object.keys(kindFixture(spec.fixture).tensors));
      return { content: generatedContent(seed, Math.max(spec.size, prefix.length), prefix) };
    }
    case 'bytes':
      return { content: generatedContent(seed, spec.size) };
  }
}

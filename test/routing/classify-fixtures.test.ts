// Every fixture kind, written as a real (sparse) safetensors file, read back through the bounded reader and
// classified: the folder must match the fixture's `expected.folder`, and the architecture where it names one.
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.js';
import { classifyTensors } from '../../src/routing/classify.js';
import type { Classification } from '../../src/routing/classify-types.js';
import { readSafetensorsHeader } from '../../src/routing/safetensors-header.js';
import { buildSafetensorsHeader, type TensorSpec } from '../../src/safetensors/build.js';

interface Fixture {
  readonly expected: { readonly folder: string; readonly architecture?: string };
  readonly tensors: Readonly<Record<string, TensorSpec>>;
  readonly metadata?: Readonly<Record<string, string>>;
}

/**
 * Fixture architectures that are descriptions rather than ids, and the id the classifier gives them. The two
 * VAEs that differ in the description share one id because their tensors are identical (the fixture notes
 * say so); the 16-channel AE is shared by Flux.1 and SD3.
 */
const DESCRIPTIVE_ARCHITECTURES: Readonly<Record<string, string>> = {
  'ESRGAN RRDBNet (4x, 64nf, 23nb)': 'esrgan',
  'Real-ESRGAN RRDBNet x4plus': 'real-esrgan',
  'flux1-ae (16-channel)': 'ae-16ch',
  'sd-kl-f8 (SD1.x/SD2.x/SDXL share this layout)': 'sd-kl-f8',
  'sdxl-vae (diffusers layout)': 'sd-kl-f8',
};

const fixtureDir = join(projectRoot(), 'fixtures', 'safetensors');
const results = new Map<string, { fixture: Fixture; classification: Classification }>();
let workDir: string;

async function writeSparseModel(path: string, fixture: Fixture): Promise<void> {
  const { prefix, fileLength } = buildSafetensorsHeader(fixture.tensors, fixture.metadata);
  const handle = await open(path, 'w');
  try {
    await handle.write(prefix, 0, prefix.length, 0);
    await handle.truncate(fileLength);
  } finally {
    await handle.close();
  }
}

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'comfyui-dl-classify-'));
  const names = (await readdir(fixtureDir)).filter((name) => name.endsWith('.json')).sort();
  for (const name of names) {
    const fixture = JSON.parse(await readFile(join(fixtureDir, name), 'utf8')) as Fixture;
    const path = join(workDir, name.replace(/\.json$/, '.safetensors'));
    await writeSparseModel(path, fixture);
    const header = await readSafetensorsHeader(path);
    if (header.isErr()) throw new Error(`${name}: ${header.error.code} ${header.error.message}`);
    results.set(name, { fixture, classification: classifyTensors(header.value) });
  }
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('classifier over all fixture kinds', () => {
  it('reads all 26 fixtures back through the header reader', () => {
    expect(results.size).toBe(26);
  });

  it('routes every fixture to its expected folder, with its architecture', () => {
    const misses: string[] = [];
    for (const [name, { fixture, classification }] of results) {
      const wanted = fixture.expected.architecture;
      const architecture = wanted === undefined ? undefined : (DESCRIPTIVE_ARCHITECTURES[wanted] ?? wanted);
      const folderOk = classification.folder === fixture.expected.folder;
      const architectureOk = architecture === undefined || classification.architecture === architecture;
      if (!folderOk || !architectureOk) {
        misses.push(`${name}: got ${classification.folder}/${classification.architecture}, want ${fixture.expected.folder}/${architecture}`);
      }
    }
    const hits = results.size - misses.length;
    console.log(`classifier accuracy: ${hits}/${results.size} fixtures (${((100 * hits) / results.size).toFixed(1)}%)`);
    expect(misses).toEqual([]);
  });

  it('is confident on every fixture and explains itself', () => {
    for (const [name, { classification }] of results) {
      expect(classification.confidence, name).toBe('high');
      expect(classification.signals.length, name).toBeGreaterThan(0);
    }
  });

  it('names the parts a checkpoint bundles and the base a header can determine', () => {
    const flux = results.get('flux-full-checkpoint.json')?.classification;
    expect(flux?.components).toEqual({ unet: true, vae: true, textEncoders: ['clip-l', 't5-xxl'] });
    expect(flux?.baseModelGuess).toBe('Flux.1 D');
    const sdxl = results.get('sdxl-checkpoint.json')?.classification;
    expect(sdxl?.components).toEqual({ unet: true, vae: true, textEncoders: ['clip-g', 'clip-l'] });
    expect(sdxl?.baseModelGuess).toBe('SDXL 1.0');
    expect(results.get('flux-dev-unet-only.json')?.classification.components).toEqual({ unet: true, vae: false, textEncoders: [] });
    expect(results.get('sd15-lora-kohya.json')?.classification.baseModelGuess).toBe('SD 1.5');
    expect(results.get('sdxl-lora.json')?.classification.baseModelGuess).toBe('SDXL 1.0');
    expect(results.get('wan21-t2v-14b-diffusion-model.json')?.classification.baseModelGuess).toBe('Wan Video 14B t2v');
    // SD 1.x and SDXL VAEs are indistinguishable: the header must not pretend otherwise.
    expect(results.get('sdxl-vae-diffusers.json')?.classification.baseModelGuess).toBeNull();
  });
});

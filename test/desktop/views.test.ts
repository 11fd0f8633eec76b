import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { plainText, sizedImageUrl, toModelView } from '../../desktop/src/lib/civitai-view.js';
import { BASE_MODELS, MODEL_TYPES } from '../../desktop/src/lib/options.js';
import { projectRoot } from '../../src/config/project-root.js';
import { startSimulator } from '../../src/simulator/index.js';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(projectRoot(), 'fixtures', 'civitai', name), 'utf8'));

describe('CivitAI models as the Browse pages show them', () => {
  it('reads a current model page: newest version first, primary file, scan verdict, safe cover', () => {
    const model = toModelView(fixture('model-1231067.json'))!;
    expect(model).toMatchObject({ name: 'Vivid Impressions Storybook Style', type: 'LORA', creator: 'PixelPawsAI', baseModel: 'Flux.1 D' });
    expect(model.tags).toEqual(['style', 'illustration', 'storybook']);
    const newest = model.versions[0]!;
    expect(newest.primaryFile).toMatchObject({ name: 'pp-storybook_rank2_bf16.safetensors', scan: 'clean', pickle: false, primary: true });
    expect(newest.primaryFile!.sizeBytes).toBe(Math.round(18829.1484375 * 1024));
    expect(model.cover?.url).toMatch(/^https:\/\/image\.civitai\.com\//);
  });

  it('reads a 2023 model page: boolean nsfw flags, pickle checkpoints', () => {
    const model = toModelView(fixture('model-1102.json'))!;
    expect(model.versions).toHaveLength(3);
    const file = model.versions[0]!.primaryFile!;
    expect(file).toMatchObject({ name: 'synthwavepunk_v2.ckpt', pickle: true, format: 'PickleTensor', detail: 'fp16 · pruned' });
    // The first image is flagged NSFW: the cover skips it.
    const raw = (fixture('model-1102.json') as { modelVersions: { images: { url: string; nsfw: boolean }[] }[] }).modelVersions[0]!.images;
    expect(raw[0]!.nsfw).toBe(true);
    expect(model.cover?.url).toBe(raw[1]!.url);
    expect(model.versions[0]!.images.map((i) => i.url)).not.toContain(raw[0]!.url);
  });

  it('reads every item of real search pages, and of the simulator’s', async () => {
    for (const name of ['models-search.json', 'models-search-cursor.json']) {
      const { items } = fixture(name) as { items: unknown[] };
      expect(items.map(toModelView).every((m) => m !== null), name).toBe(true);
    }
    const sim = await startSimulator();
    try {
      const page = (await (await fetch(`${sim.apiUrl}/api/v1/models?limit=100`)).json()) as { items: unknown[] };
      const views = page.items.map(toModelView);
      expect(views.length).toBeGreaterThan(5);
      expect(views.every((m) => m !== null && m.versions.length > 0)).toBe(true);
      // An archived model lists no files: nothing to download, and the page says so.
      expect(views.filter((m) => m!.versions[0]!.primaryFile === null).map((m) => m!.name)).toEqual(['Sim Retired']);
    } finally {
      await sim.close();
    }
  });

  it('leaves out what it cannot read instead of failing the whole model', () => {
    expect(toModelView({ nope: true })).toBeNull();
    const model = toModelView({ id: 1, name: 'x', type: 'LORA', tags: 'not a list', modelVersions: [{ id: 2, name: 'v1', files: [{ id: 3 }], images: [{ url: '' }, { url: 'https://a/b.jpeg' }] }] })!;
    expect(model.tags).toEqual([]);
    expect(model.versions[0]!.files).toEqual([]);
    expect(model.versions[0]!.primaryFile).toBeNull();
    // Unrated pictures count as unsafe.
    expect(model.cover).toBeNull();
  });

  it('asks CivitAI for pictures at the size shown', () => {
    expect(sizedImageUrl('https://image.civitai.com/x/uuid/original=true/1.jpeg', 450)).toBe('https://image.civitai.com/x/uuid/width=450/1.jpeg');
    expect(sizedImageUrl('https://image.civitai.com/x/uuid/width=96/a.jpeg', 450)).toBe('https://image.civitai.com/x/uuid/width=450/a.jpeg');
    expect(sizedImageUrl('https://elsewhere.example/pic.png', 450)).toBe('https://elsewhere.example/pic.png');
  });

  it('shows uploaders’ HTML descriptions as text only', () => {
    expect(plainText('<h1>Title</h1><p>a &amp; b<br>c</p><script>alert(1)</script><style>p{}</style>')).toBe('Title\na & b\nc');
    expect(plainText('x'.repeat(700), 10)).toBe(`${'x'.repeat(10)}…`);
  });

  it('offers only filter values CivitAI accepts', () => {
    const enums = fixture('enums.json') as { ModelType: string[]; BaseModel: string[] };
    for (const type of MODEL_TYPES) expect(enums.ModelType, type).toContain(type);
    for (const base of BASE_MODELS) expect(enums.BaseModel, base).toContain(base);
  });
});

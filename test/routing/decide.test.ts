import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.js';
import { classifyTensors } from '../../src/routing/classify.js';
import type { Classification } from '../../src/routing/classify-types.js';
import { decideRoute, declaredFolder } from '../../src/routing/decide.js';
import { headerError } from '../../src/routing/header-error.js';

async function classifyFixture(name: string): Promise<Classification> {
  const fixture = JSON.parse(await readFile(join(projectRoot(), 'fixtures', 'safetensors', name), 'utf8')) as {
    tensors: Record<string, { dtype: string; shape: number[] }>;
    metadata?: Record<string, string>;
  };
  return classifyTensors({ tensors: new Map(Object.entries(fixture.tensors)), metadata: fixture.metadata ?? {} });
}

const fullClip: Classification = {
  container: 'safetensors', kind: 'text_encoder', folder: 'text_encoders', alternatives: ['clip_vision'],
  architecture: 'clip-l', baseModelGuess: null, components: { unet: false, vae: false, textEncoders: ['clip-l'] },
  confidence: 'medium', signals: ['both text and vision towers'],
};

describe('decideRoute', () => {
  it('sends a "Checkpoint" that is only a diffusion model to diffusion_models', async () => {
    const decision = decideRoute({
      header: await classifyFixture('flux-dev-unet-only.json'),
      declaredType: 'Checkpoint', declaredFileType: 'Model', civitaiBaseModel: 'Flux.1 D', fileName: 'flux1-dev.safetensors',
    });
    expect(decision).toMatchObject({
      folder: 'diffusion_models', kind: 'diffusion_model', architecture: 'flux1-dev', baseModel: 'Flux.1 D',
      declaredType: 'Checkpoint', confidence: 'high', flagged: null, recheckHash: false,
    });
    expect(decision.reason).toMatch(/diffusion_models although CivitAI calls it "Checkpoint"/);
    expect(decision.signals).toContain('CivitAI says "Checkpoint" (checkpoints); the header wins');
  });

  it('keeps a real checkpoint in checkpoints and says CivitAI agrees', async () => {
    const decision = decideRoute({ header: await classifyFixture('sdxl-checkpoint.json'), declaredType: 'Checkpoint', civitaiBaseModel: 'Pony', fileName: 'pony.safetensors' });
    expect(decision).toMatchObject({ folder: 'checkpoints', confidence: 'high', baseModel: 'Pony' });
    expect(decision.reason).toContain('as CivitAI\'s type "Checkpoint" says');
  });

  it('lets CivitAI decide for a pickle, never opened, and flags it', () => {
    const decision = decideRoute({ header: 'pickle', declaredType: 'LORA', civitaiBaseModel: 'SD 1.5', fileName: 'old.pt' });
    expect(decision).toMatchObject({ folder: 'loras', kind: 'lora', confidence: 'low', flagged: 'pickle', recheckHash: false, architecture: null, baseModel: 'SD 1.5' });
    expect(decision.reason).toContain('old.pt is a pickle');
  });

  it('lets CivitAI decide for an unreadable header, flags it and asks for a hash check', () => {
    const decision = decideRoute({
      header: headerError('FILE_LENGTH_MISMATCH', 'The header describes a 10-byte file but it has 8 bytes.'),
      declaredType: 'TextualInversion', fileName: 'easynegative.safetensors',
    });
    expect(decision).toMatchObject({ folder: 'embeddings', confidence: 'low', flagged: 'unreadable-header', recheckHash: true });
    expect(decision.signals[0]).toContain('FILE_LENGTH_MISMATCH');
  });

  it('routes by CivitAI file type before model type (a VAE attached to a checkpoint version)', () => {
    expect(declaredFolder('Checkpoint', 'VAE').folder).toBe('vae');
    expect(declaredFolder('Checkpoint', 'Diffusion Model').folder).toBe('diffusion_models');
    expect(declaredFolder('LoCon', 'Model').folder).toBe('loras');
    expect(declaredFolder('Workflows', null).folder).toBeNull();
  });

  it('needs manual placement when neither the header nor CivitAI names a folder', () => {
    const unknown = classifyTensors({ tensors: new Map([['mystery', { shape: [3] }]]), metadata: {} });
    const decision = decideRoute({ header: unknown, declaredType: 'Other', fileName: 'thing.safetensors' });
    expect(decision).toMatchObject({ folder: null, kind: 'unknown', confidence: 'low' });
    expect(decision.reason).toContain('needs manual placement');
  });

  it('falls back to CivitAI when the header matches nothing', () => {
    const unknown = classifyTensors({ tensors: new Map([['mystery', { shape: [3] }]]), metadata: {} });
    expect(decideRoute({ header: unknown, declaredType: 'Upscaler', fileName: 'x.safetensors' })).toMatchObject({ folder: 'upscale_models', confidence: 'low' });
    expect(decideRoute({ header: unknown, declaredType: 'Other', fileName: 'taesdxl_decoder.safetensors' })).toMatchObject({ folder: 'vae_approx' });
  });

  it('lets CivitAI or the file name pick among plausible readings of an ambiguous header', () => {
    expect(decideRoute({ header: fullClip, declaredType: 'Other', fileName: 'clip.safetensors' })).toMatchObject({ folder: 'text_encoders', confidence: 'medium' });
    expect(decideRoute({ header: fullClip, declaredType: 'Other', fileName: 'clip_vision_h.safetensors' })).toMatchObject({ folder: 'clip_vision' });
    expect(decideRoute({ header: fullClip, declaredType: 'Checkpoint', declaredFileType: 'Text Encoder', fileName: 'c.safetensors' })).toMatchObject({ folder: 'text_encoders', confidence: 'high' });
  });

  it('prefers CivitAI\'s base model but reports a contradiction with the tensors', async () => {
    const decision = decideRoute({ header: await classifyFixture('sdxl-lora.json'), declaredType: 'LORA', civitaiBaseModel: 'SD 1.5', fileName: 'x.safetensors' });
    expect(decision.baseModel).toBe('SD 1.5');
    expect(decision.signals.some((s) => s.startsWith('base model conflict'))).toBe(true);
    const chroma = decideRoute({ header: await classifyFixture('flux-lora-kohya.json'), declaredType: 'LORA', civitaiBaseModel: 'Chroma', fileName: 'y.safetensors' });
    expect(chroma.signals.some((s) => s.startsWith('base model conflict'))).toBe(false);
  });

  it('uses the header\'s base model when CivitAI has none', async () => {
    expect(decideRoute({ header: await classifyFixture('sd15-lora-kohya.json'), declaredType: null, fileName: 'z.safetensors' }).baseModel).toBe('SD 1.5');
  });

  it('produces plain JSON', async () => {
    const decision = decideRoute({ header: await classifyFixture('controlnet-sd15.json'), declaredType: 'Controlnet', fileName: 'cn.safetensors' });
    expect(JSON.parse(JSON.stringify(decision))).toEqual(decision);
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/config/project-root.js';
import { World, defaultWorld } from '../../src/simulator/index.js';
import { listWorkflowModels } from '../../src/workflow/models.js';
import { readWorkflow } from '../../src/workflow/read.js';

describe('the demo workflow (docs/demo-workflow.json)', () => {
  const { models, warnings } = listWorkflowModels(readWorkflow(readFileSync(join(projectRoot(), 'docs', 'demo-workflow.json')))._unsafeUnwrap());
  const world = new World(defaultWorld());

  it('names only files the simulator\'s default world has, by URL or by a hash it knows', () => {
    expect(warnings).toEqual([]);
    expect(models.map((m) => `${m.directory}/${m.name}`)).toEqual([
      'checkpoints/SD 1.5/simRealistic_v10.safetensors', 'loras/pixel/simPixelArt_v20.safetensors', 'controlnet/control_sim_canny.safetensors',
      'vae/vae-ft-mse-sim.safetensors', 'upscale_models/4x-Sharp.pt',
    ]);
    for (const model of models) {
      if (model.urlKind.kind === 'civitai') {
        const ref = model.urlKind.ref;
        expect(ref.kind === 'version' ? world.version(ref.versionId) : world.model(ref.modelId), model.name).toBeDefined();
      } else {
        // A hash-only file: the simulator builds its files deterministically, so the hash stays the one it serves.
        expect(model.urlKind.kind).toBe('none');
        const file = world.models.flatMap((m) => m.versions).flatMap((v) => v.files).find((f) => f.servedSha256.toLowerCase() === model.hash);
        expect(file?.name, `${model.name}: no file of the default world has the hash ${model.hash}`).toBe('simPixelArt_v20.safetensors');
      }
    }
  });
});

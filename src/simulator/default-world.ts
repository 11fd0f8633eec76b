// The world the simulator starts with: one small model per common kind, plus the awkward cases a client must
// handle (a Flux UNet declared as a Checkpoint, a pickle, two versions, login-only, early access, archived).
import type { ImageSpec, ModelSpec, WorldSpec } from './world-spec.js';

const DAY_MS = 86_400_000;

/** Ids in the default world, for tests and the demo. */
export const DEFAULT_IDS = {
  sd15Checkpoint: { modelId: 1001, versionId: 2001, fileId: 3001, pickleFileId: 3002 },
  sdxlLora: { modelId: 1002, versionId: 2002, fileId: 3003 },
  fluxUnetAsCheckpoint: { modelId: 1003, versionId: 2003, fileId: 3004 },
  vae: { modelId: 1004, versionId: 2004, fileId: 3005 },
  embedding: { modelId: 1005, versionId: 2005, fileId: 3006 },
  controlnet: { modelId: 1006, versionId: 2006, fileId: 3007 },
  upscalerPickle: { modelId: 1007, versionId: 2007, fileId: 3008 },
  twoVersionLora: { modelId: 1008, olderVersionId: 2008, olderFileId: 3009, newerVersionId: 2009, newerFileId: 3010 },
  loginRequired: { modelId: 1009, versionId: 2010, fileId: 3011 },
  earlyAccess: { modelId: 1010, versionId: 2011, fileId: 3012 },
  archived: { modelId: 1011, versionId: 2012, fileId: 3013 },
} as const;

function images(...specs: [id: number, format: ImageSpec['format'], nsfwLevel?: number][]): ImageSpec[] {
  return specs.map(([id, format, nsfwLevel]) => ({ id, format, nsfwLevel: nsfwLevel ?? 1, width: 832, height: 1216 }));
}

export function defaultWorld(now: number = Date.now()): WorldSpec {
  const ids = DEFAULT_IDS;
  const models: ModelSpec[] = [
    {
      id: ids.sd15Checkpoint.modelId,
      name: 'Sim Realistic',
      type: 'Checkpoint',
      creator: 'sim_studio',
      tags: ['base model', 'photorealistic'],
      versions: [
        {
          id: ids.sd15Checkpoint.versionId,
          name: 'v1.0',
          baseModel: 'SD 1.5',
          baseModelType: 'Standard',
          files: [
            {
              id: ids.sd15Checkpoint.fileId,
              name: 'simRealistic_v10.safetensors',
              metadata: { format: 'SafeTensor', size: 'pruned', fp: 'fp16' },
              content: { format: 'safetensors', fixture: 'sd15-checkpoint' },
            },
            {
              id: ids.sd15Checkpoint.pickleFileId,
              name: 'simRealistic_v10.ckpt',
              metadata: { format: 'PickleTensor', size: 'full', fp: 'fp32' },
              content: { format: 'pickle', fixture: 'sd15-checkpoint', size: 3 * 1024 * 1024 },
            },
          ],
          images: images([4001, 'jpeg'], [4002, 'png'], [4003, 'webp', 4]),
        },
      ],
    },
    {
      id: ids.sdxlLora.modelId,
      name: 'Sim Ink Style XL',
      type: 'LORA',
      creator: 'sim_artist',
      tags: ['style', 'ink'],
      versions: [
        {
          id: ids.sdxlLora.versionId,
          name: 'v1.0',
          baseModel: 'SDXL 1.0',
          baseModelType: 'Standard',
          trainedWords: ['inkstyle'],
          files: [{ id: ids.sdxlLora.fileId, name: 'sim-ink-style-xl.safetensors', content: { format: 'safetensors', fixture: 'sdxl-lora' } }],
          images: images([4004, 'webp']),
        },
      ],
    },
    {
      // CivitAI lists bare Flux transformers as "Checkpoint"; only the header says it belongs in diffusion_models.
      id: ids.fluxUnetAsCheckpoint.modelId,
      name: 'Sim Flux Dev UNet',
      type: 'Checkpoint',
      creator: 'sim_studio',
      tags: ['base model', 'flux'],
      versions: [
        {
          id: ids.fluxUnetAsCheckpoint.versionId,
          name: 'fp16',
          baseModel: 'Flux.1 D',
          baseModelType: 'Standard',
          files: [
            {
              id: ids.fluxUnetAsCheckpoint.fileId,
              name: 'simFluxDevUnet_fp16.safetensors',
              metadata: { format: 'SafeTensor', size: 'full', fp: 'fp16' },
              content: { format: 'safetensors', fixture: 'flux-dev-unet-only' },
            },
          ],
          images: images([4005, 'jpeg']),
        },
      ],
    },
    {
      id: ids.vae.modelId,
      name: 'Sim VAE ft-MSE',
      type: 'VAE',
      creator: 'sim_studio',
      tags: ['vae'],
      versions: [
        {
          id: ids.vae.versionId,
          name: 'v1.0',
          baseModel: 'SD 1.5',
          files: [{ id: ids.vae.fileId, name: 'sim-vae-ft-mse.safetensors', content: { format: 'safetensors', fixture: 'sd-vae' } }],
          images: images([4006, 'png']),
        },
      ],
    },
    {
      id: ids.embedding.modelId,
      name: 'Sim Bad Hands',
      type: 'TextualInversion',
      creator: 'sim_artist',
      tags: ['negative embedding'],
      versions: [
        {
          id: ids.embedding.versionId,
          name: 'v1.0',
          baseModel: 'SD 1.5',
          trainedWords: ['simbadhands'],
          // CivitAI names TextualInversion downloads after the first trained word.
          files: [{ id: ids.embedding.fileId, name: 'simbadhands.safetensors', content: { format: 'safetensors', fixture: 'embedding-sd15' } }],
          images: images([4007, 'jpeg']),
        },
      ],
    },
    {
      id: ids.controlnet.modelId,
      name: 'Sim ControlNet Canny',
      type: 'Controlnet',
      creator: 'sim_studio',
      tags: ['controlnet'],
      versions: [
        {
          id: ids.controlnet.versionId,
          name: 'v1.1',
          baseModel: 'SD 1.5',
          files: [
            {
              id: ids.controlnet.fileId,
              name: 'simControlnetCanny_v11.safetensors',
              metadata: { format: 'SafeTensor', size: 'pruned', fp: 'fp16' },
              content: { format: 'safetensors', fixture: 'controlnet-sd15' },
            },
          ],
          images: images([4008, 'png']),
        },
      ],
    },
    {
      id: ids.upscalerPickle.modelId,
      name: 'Sim 4x Sharp',
      type: 'Upscaler',
      creator: 'sim_artist',
      tags: ['upscaler'],
      versions: [
        {
          id: ids.upscalerPickle.versionId,
          name: 'v1.0',
          baseModel: 'Upscaler',
          files: [
            {
              id: ids.upscalerPickle.fileId,
              name: 'sim4xSharp_v10.pt',
              metadata: { format: 'PickleTensor' },
              content: { format: 'pickle', fixture: 'esrgan-upscaler-oldarch', size: 1024 * 1024 },
            },
          ],
          images: images([4009, 'jpeg']),
        },
      ],
    },
    {
      id: ids.twoVersionLora.modelId,
      name: 'Sim Pixel Art',
      type: 'LORA',
      creator: 'sim_artist',
      tags: ['style', 'pixel art'],
      versions: [
        {
          id: ids.twoVersionLora.newerVersionId,
          name: 'v2.0',
          baseModel: 'SD 1.5',
          trainedWords: ['pixelart'],
          files: [{ id: ids.twoVersionLora.newerFileId, name: 'simPixelArt_v20.safetensors', content: { format: 'safetensors', fixture: 'sd15-lora-kohya' } }],
          images: images([4010, 'webp']),
        },
        {
          id: ids.twoVersionLora.olderVersionId,
          name: 'v1.0',
          baseModel: 'SD 1.5',
          trainedWords: ['pixelart'],
          files: [{ id: ids.twoVersionLora.olderFileId, name: 'simPixelArt_v10.safetensors', content: { format: 'safetensors', fixture: 'sd15-lora-kohya' } }],
          images: images([4011, 'jpeg']),
        },
      ],
    },
    {
      id: ids.loginRequired.modelId,
      name: 'Sim Members Only',
      type: 'LORA',
      creator: 'sim_studio',
      tags: ['style'],
      versions: [
        {
          id: ids.loginRequired.versionId,
          name: 'v1.0',
          baseModel: 'Flux.1 D',
          requireAuth: true,
          trainedWords: ['membersonly'],
          files: [{ id: ids.loginRequired.fileId, name: 'sim-members-only.safetensors', content: { format: 'safetensors', fixture: 'flux-lora-kohya' } }],
          images: images([4012, 'jpeg']),
        },
      ],
    },
    {
      id: ids.earlyAccess.modelId,
      name: 'Sim Early Bird',
      type: 'LORA',
      creator: 'sim_studio',
      tags: ['style'],
      versions: [
        {
          id: ids.earlyAccess.versionId,
          name: 'v1.0',
          baseModel: 'Flux.1 D',
          earlyAccessEndsAt: new Date(now + 7 * DAY_MS).toISOString(),
          trainedWords: ['earlybird'],
          files: [{ id: ids.earlyAccess.fileId, name: 'sim-early-bird.safetensors', content: { format: 'safetensors', fixture: 'flux-lora-diffusers-peft' } }],
          images: images([4013, 'png']),
        },
      ],
    },
    {
      id: ids.archived.modelId,
      name: 'Sim Retired',
      type: 'LORA',
      creator: 'sim_artist',
      mode: 'Archived',
      versions: [
        {
          id: ids.archived.versionId,
          name: 'v1.0',
          baseModel: 'SD 1.5',
          files: [{ id: ids.archived.fileId, name: 'simRetired_v10.safetensors', content: { format: 'safetensors', fixture: 'lycoris-loha' } }],
          images: images([4014, 'jpeg']),
        },
      ],
    },
  ];
  return { models };
}

/** Ids of the optional benchmark model, outside the default world's ranges. */
export const BIG_FILE_IDS = { modelId: 9001, versionId: 9002, fileId: 9003 } as const;

/** A real SDXL checkpoint header grown to at least `bytes`, for throughput runs. */
export function bigFileModel(bytes: number): ModelSpec {
  return {
    id: BIG_FILE_IDS.modelId,
    name: 'Sim Benchmark Checkpoint',
    type: 'Checkpoint',
    versions: [
      {
        id: BIG_FILE_IDS.versionId,
        name: 'v1.0',
        baseModel: 'SDXL 1.0',
        files: [
          {
            id: BIG_FILE_IDS.fileId,
            name: 'simBenchmark_v10.safetensors',
            metadata: { format: 'SafeTensor', size: 'full', fp: 'fp16' },
            content: { format: 'safetensors', fixture: 'sdxl-checkpoint', minSize: bytes },
          },
        ],
      },
    ],
  };
}

/** Version ids of the optional many-files models start here: model i has version MANY_FILES_FIRST_VERSION + i. */
export const MANY_FILES_FIRST_VERSION = 20_000;

/** `count` SDXL LoRAs of at least `bytes` each, one per model, for runs that queue many files at once. */
export function manyFileModels(count: number, bytes: number): ModelSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    id: 10_000 + i,
    name: `Sim Batch LoRA ${i + 1}`,
    type: 'LORA',
    versions: [
      {
        id: MANY_FILES_FIRST_VERSION + i,
        name: 'v1.0',
        baseModel: 'SDXL 1.0',
        files: [
          {
            id: 30_000 + i,
            name: `simBatchLora${i + 1}.safetensors`,
            metadata: { format: 'SafeTensor' },
            content: { format: 'safetensors', fixture: 'sdxl-lora', minSize: bytes },
          },
        ],
      },
    ],
  }));
}

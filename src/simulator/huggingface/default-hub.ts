// A small hub with the cases clients meet: a public repo of LFS weights, small text files and a small model file
// kept in git (with a tag and a pull request), a repo of text encoders in folders with a name that needs
// percent-encoding, stored on Xet, a gated repo, and a private one.
import type { HubSpec } from './hub-spec.js';

export const HUB_IDS = {
  flux: 'sim-labs/flux-sim',
  /** The flux repo's name before it was renamed. */
  fluxFormer: 'sim-labs/flux-sim-old',
  encoders: 'sim-labs/text-encoders-sim',
  gated: 'sim-gated/flux-dev-sim',
  private: 'sim-private/secret-loras',
} as const;

export const HUB_FILES = {
  fluxModel: 'flux1-schnell-sim.safetensors',
  fluxVae: 'ae.safetensors',
  readme: 'README.md',
  config: 'model_index.json',
  /** A small model file kept in git itself (not LFS): the hub names it by its git blob id only. */
  smallEmbedding: 'embeddings/easy-negative-sim.safetensors',
  clipL: 'text_encoders/clip_l.safetensors',
  t5: 'text_encoders/t5xxl fp8 (scaled).safetensors',
  gatedModel: 'flux1-dev-sim.safetensors',
  privateLora: 'loras/secret_lora.safetensors',
} as const;

export function defaultHub(): HubSpec {
  return {
    repos: [
      {
        id: HUB_IDS.flux,
        formerIds: [HUB_IDS.fluxFormer],
        pipelineTag: 'text-to-image',
        libraryName: 'diffusers',
        tags: ['diffusers', 'safetensors', 'text-to-image', 'flux'],
        gitTags: ['v1.0'],
        files: [
          { path: HUB_FILES.fluxModel, content: { format: 'safetensors', fixture: 'flux-schnell-unet-only' } },
          { path: HUB_FILES.fluxVae, content: { format: 'safetensors', fixture: 'flux-ae' } },
          { path: HUB_FILES.readme, content: { format: 'text', text: '---\nlicense: apache-2.0\n---\n# FLUX simulated\n\nWeights for tests.\n' } },
          { path: HUB_FILES.config, content: { format: 'text', text: '{\n  "_class_name": "FluxPipeline",\n  "_diffusers_version": "0.30.0"\n}\n' } },
          { path: HUB_FILES.smallEmbedding, content: { format: 'safetensors', fixture: 'embedding-sd15' }, lfs: false },
        ],
      },
      {
        id: HUB_IDS.encoders,
        xet: true,
        tags: ['text-encoder'],
        files: [
          { path: HUB_FILES.clipL, content: { format: 'safetensors', fixture: 'clip-l-text-encoder' } },
          { path: HUB_FILES.t5, content: { format: 'safetensors', fixture: 't5xxl-text-encoder' } },
          { path: 'README.md', content: { format: 'text', text: '# Text encoders\n' } },
        ],
      },
      {
        id: HUB_IDS.gated,
        gated: 'manual',
        pipelineTag: 'text-to-image',
        tags: ['flux'],
        files: [
          { path: HUB_FILES.gatedModel, content: { format: 'safetensors', fixture: 'flux-dev-unet-only' } },
          { path: HUB_FILES.fluxVae, content: { format: 'safetensors', fixture: 'flux-ae' } },
          { path: 'README.md', content: { format: 'text', text: '---\nextra_gated_prompt: Accept the license to access this model.\n---\n# Gated\n' } },
        ],
      },
      {
        id: HUB_IDS.private,
        private: true,
        files: [{ path: HUB_FILES.privateLora, content: { format: 'safetensors', fixture: 'flux-lora-kohya' } }],
      },
    ],
  };
}

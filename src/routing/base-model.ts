// Architecture families behind CivitAI base-model names. Tensors can tell families apart (SD 1.x vs SDXL vs
// Flux.1) but not fine-tunes within one (Pony, Illustrious and NoobAI are SDXL), so routing compares families.

const FAMILIES: readonly (readonly [RegExp, string])[] = [
  [/^SD 1\./i, 'sd1'],
  [/^SD 2\./i, 'sd2'],
  [/^(SDXL|Pony$|Illustrious|NoobAI|Playground v2)/i, 'sdxl'],
  [/^SD 3/i, 'sd3'],
  [/^Flux\.1/i, 'flux1'],
  [/^Flux\.2/i, 'flux2'],
  [/^Chroma/i, 'chroma'],
  [/^Wan Video/i, 'wan'],
  [/^Hunyuan Video/i, 'hunyuan-video'],
  [/^Hunyuan 1/i, 'hunyuan-dit'],
  [/^LTXV/i, 'ltxv'],
  [/^(AuraFlow|Pony V7)/i, 'auraflow'],
  [/^HiDream/i, 'hidream'],
  [/^Lumina/i, 'lumina'],
  [/^Qwen/i, 'qwen-image'],
  [/^Mochi/i, 'mochi'],
  [/^Stable Cascade/i, 'stable-cascade'],
  [/^SVD/i, 'svd'],
  [/^PixArt/i, 'pixart'],
  [/^CogVideoX/i, 'cogvideox'],
  [/^ZImage/i, 'zimage'],
];

/** The family of a CivitAI base model name (or of a classifier guess), or null when unknown ('Other'). */
export function baseModelFamily(name: string | null | undefined): string | null {
  if (!name) return null;
  const trimmed = name.trim();
  for (const [pattern, family] of FAMILIES) if (pattern.test(trimmed)) return family;
  return null;
}

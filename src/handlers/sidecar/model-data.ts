// The model-level data a sidecar carries (tags, description, creator, license fields) lives in `/models/:id`, not
// in the version object a download resolves: asked once per sidecar, and never worth failing the sidecar over.
import type { CivitaiClient } from '../../civitai/client.js';
import type { Log } from '../../lib/log.js';

export async function modelForSidecar(client: CivitaiClient, modelId: number | undefined, log: Log): Promise<Record<string, unknown> | null> {
  if (modelId === undefined) return null;
  const answer = await client.getModel(modelId);
  if (answer.isOk()) return answer.value as Record<string, unknown>;
  log(`could not fetch model ${modelId} for its tags, description and license (${answer.error.message}); the sidecar gets the version's data`);
  return null;
}

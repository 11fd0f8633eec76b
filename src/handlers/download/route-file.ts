import { err, ok, type Result } from 'neverthrow';
import type { EventDataOf } from '../../events/index.js';
import { sanitizeFileName } from '../../lib/file-name.js';
import { decideRoute, type RouteDecision } from '../../routing/decide.js';
import { destinationPath, DEFAULT_TEMPLATE } from '../../routing/destinations.js';
import { isAbsolute, relative, sep } from 'node:path';
import { loadModelRoots } from '../../routing/destinations-io.js';
import { pinnedDestination, type PinnedTarget } from '../../routing/pinned-destination.js';
import { inspectModelFile } from '../../routing/inspect.js';

export type RouteError = { readonly code: 'UNROUTABLE' | 'DESTINATION_INVALID'; readonly message: string };

export interface RouterOptions {
  readonly modelsDir: string;
  readonly template?: string;
  /** ComfyUI's extra_model_paths.yaml; null: the one beside the models folder, if there is one. */
  readonly extraModelPaths?: string | null;
  /** A section of that file, or a base path, where new downloads go. */
  readonly preferredRoot?: string | null;
  readonly log?: (message: string) => void;
}

type Decided = EventDataOf<'routing.decided'>;

/** The `routing.decided` event's data: the decision as plain JSON (a folder is required to record one). */
export function routingEventData(d: RouteDecision & { folder: string }): Decided {
  return {
    folder: d.folder, kind: d.kind, architecture: d.architecture, baseModel: d.baseModel,
    declaredType: d.declaredType, signals: [...d.signals], reason: d.reason, confidence: d.confidence, flagged: d.flagged,
  };
}

/** Back from the event to the routing module's shape, for the sidecar's provenance. */
export function decisionFromEvent(d: Decided): RouteDecision {
  return { ...d, folder: d.folder as RouteDecision['folder'], kind: d.kind as RouteDecision['kind'], recheckHash: false };
}

/** Reads the verified file's header and weighs it against CivitAI's labels. */
export async function decideFileRoute(partPath: string, resolved: EventDataOf<'download.resolved'>): Promise<Result<Decided, RouteError>> {
  const fileName = sanitizeFileName(resolved.fileName);
  const header = await inspectModelFile(partPath, fileName);
  // Only CivitAI labels its files; a Hugging Face file is routed by its header alone.
  const declaredFile = resolved.source === 'civitai'
    ? (resolved.civitai.files as { id?: number; type?: string }[] | undefined)?.find((f) => f.id === resolved.fileId)
    : undefined;
  const decision = decideRoute({ header, declaredType: resolved.modelType, declaredFileType: declaredFile?.type ?? null, civitaiBaseModel: resolved.baseModel, fileName });
  if (decision.folder === null) {
    return err({ code: 'UNROUTABLE', message: `cannot tell where ${fileName} belongs: ${decision.reason} The verified file stays at ${partPath}; move it by hand.` });
  }
  return ok(routingEventData({ ...decision, folder: decision.folder }));
}

/**
 * Lays out the path inside the decided folder with the template, using whichever folder name (legacy alias or
 * current) the user's tree already has; a pinned target (a workflow's `<directory>/<name>`) wins over both, since
 * the loader finds the file by that name only. Pure in the recorded facts, so a resumed job lands on the same path.
 */
export async function destinationFor(
  options: RouterOptions,
  decided: Decided,
  resolved: EventDataOf<'download.resolved'>,
  target: PinnedTarget | null,
): Promise<Result<{ path: string; folder: string }, RouteError>> {
  const { roots, aliases, warnings } = await loadModelRoots(options);
  for (const w of warnings) options.log?.(w);
  if (target) {
    const pinned = pinnedDestination({ roots, aliases, modelsDir: options.modelsDir, preferredRoot: options.preferredRoot ?? null }, target);
    return pinned.isOk() ? ok({ path: pinned.value.path, folder: pinned.value.folder }) : err({ code: 'DESTINATION_INVALID', message: pinned.error.message });
  }
  const dest = destinationPath({
    folder: decided.folder,
    roots,
    aliases,
    preferredRoot: options.preferredRoot ?? null,
    template: options.template ?? DEFAULT_TEMPLATE,
    values: {
      baseModel: decided.baseModel ?? resolved.baseModel, type: resolved.modelType, modelName: resolved.modelName,
      versionName: resolved.versionName, fileName: sanitizeFileName(resolved.fileName),
      ...(resolved.source === 'civitai' ? { modelId: resolved.modelId, versionId: resolved.versionId } : {}),
    },
  });
  return dest.isOk() ? ok({ path: dest.value.path, folder: decided.folder }) : err({ code: 'DESTINATION_INVALID', message: dest.error.message });
}

/** How events and the catalog name a model file: relative to the models folder, or absolute under another root. */
export function modelPathOf(modelsDir: string, absolute: string): string {
  const rel = relative(modelsDir, absolute);
  return rel.startsWith('..') || isAbsolute(rel) ? absolute : rel.split(sep).join('/');
}

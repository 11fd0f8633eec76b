// Whether a CivitAI version, or any file by its hashes, is on disk, read from the views alone (pure): what `add`
// needs to tell "already there" from "gone" and "damaged", whether the file was downloaded or found by a scan.
import type { CatalogRow } from './catalog.projection.js';
import type { IdentityRow } from './library.projection.js';

export interface PresenceViews {
  readonly catalog: readonly Pick<CatalogRow, 'path' | 'sha256' | 'version_id' | 'missing' | 'found_sha256'>[];
  /** Who each SHA-256 is on CivitAI (downloads are identities too). */
  readonly identities: readonly Pick<IdentityRow, 'sha256' | 'version_id' | 'known'>[];
  /** Where completed downloads placed each version, with the SHA-256 they verified. */
  readonly placements?: readonly { readonly versionId: number; readonly path: string; readonly sha256: string }[];
}

export type VersionPresence =
  /** A file of the version is on disk with its recorded bytes (as far as anything checked). */
  | { readonly status: 'present'; readonly path: string; readonly sha256: string }
  /** Its file is there but holds other bytes: verification found them, or a scan found them where it was placed. */
  | { readonly status: 'changed'; readonly path: string; readonly expected: string; readonly actual: string }
  /** Its file is gone (deleted, or on a drive that is offline); the catalog keeps its metadata. */
  | { readonly status: 'missing'; readonly path: string; readonly sha256: string }
  /** Never installed, as far as the views know. */
  | { readonly status: 'absent' };

const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Present beats changed beats missing: one intact copy anywhere means the version is there. */
export function versionPresence(views: PresenceViews, versionId: number): VersionPresence {
  const placements = (views.placements ?? []).filter((p) => p.versionId === versionId);
  const hashes = new Set([
    ...views.identities.filter((i) => i.known === 1 && i.version_id === versionId).map((i) => i.sha256),
    ...placements.map((p) => p.sha256),
  ]);
  return presenceOf(views.catalog.filter((r) => r.version_id === versionId || hashes.has(r.sha256)), views.catalog, placements);
}

/**
 * Whether some file is on disk, whatever its source: `hashes` are the SHA-256 values its bytes may have, `placements`
 * where downloads put it. The catalog rows holding those bytes decide; a placement no row holds any more is missing.
 */
export function filePresence(
  catalog: PresenceViews['catalog'],
  hashes: ReadonlySet<string>,
  placements: readonly { readonly path: string; readonly sha256: string }[] = [],
): VersionPresence {
  const all = new Set([...hashes, ...placements.map((p) => p.sha256)]);
  return presenceOf(catalog.filter((r) => all.has(r.sha256)), catalog, placements);
}

function presenceOf(
  matching: PresenceViews['catalog'],
  catalog: PresenceViews['catalog'],
  placements: readonly { readonly path: string; readonly sha256: string }[],
): VersionPresence {
  const rows = [...matching].sort(byPath);
  const present = rows.find((r) => r.missing === 0 && r.found_sha256 === null);
  if (present) return { status: 'present', path: present.path, sha256: present.sha256 };

  const verifiedChanged = rows.find((r) => r.missing === 0 && r.found_sha256 !== null);
  if (verifiedChanged) return { status: 'changed', path: verifiedChanged.path, expected: verifiedChanged.sha256, actual: verifiedChanged.found_sha256! };
  // A scan that finds other bytes where a download was placed catalogs those bytes under the same path.
  const catalogByPath = new Map(catalog.map((r) => [r.path, r]));
  for (const placed of [...placements].sort(byPath)) {
    const now = catalogByPath.get(placed.path);
    if (now && now.missing === 0 && now.sha256 !== placed.sha256) return { status: 'changed', path: placed.path, expected: placed.sha256, actual: now.sha256 };
  }

  const gone = rows.find((r) => r.missing === 1);
  if (gone) return { status: 'missing', path: gone.path, sha256: gone.sha256 };
  const unlisted = placements.find((p) => !catalogByPath.has(p.path));
  if (unlisted) return { status: 'missing', path: unlisted.path, sha256: unlisted.sha256 };
  return { status: 'absent' };
}

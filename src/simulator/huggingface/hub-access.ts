// Who is calling the hub and what they may see, with the hub's own error statuses, codes and messages
// (huggingface_hub's hf_raise_for_status reads `X-Error-Code` and `X-Error-Message`; the JSON body repeats it).
import type { IncomingMessage } from 'node:http';
import type { TokenSpec } from './hub-spec.js';
import type { HubRepo } from './hub-world.js';

export type HubCaller =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly token: TokenSpec }
  | { readonly kind: 'bad-token' };

/** A refusal, as the hub words it. */
export interface HubRefusal {
  readonly status: number;
  readonly code?: 'RepoNotFound' | 'GatedRepo' | 'RevisionNotFound' | 'EntryNotFound';
  readonly message: string;
}

export const INVALID_CREDENTIALS = 'Invalid credentials in Authorization header';

export function identifyHubCaller(req: IncomingMessage, tokens: readonly TokenSpec[]): HubCaller {
  const header = req.headers.authorization;
  if (header === undefined) return { kind: 'anonymous' };
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  const token = match ? tokens.find((known) => known.token === match[1]) : undefined;
  return token ? { kind: 'user', token } : { kind: 'bad-token' };
}

function canSeePrivate(caller: HubCaller, repo: HubRepo): boolean {
  if (caller.kind !== 'user') return false;
  return repo.author === caller.token.user || (caller.token.privateAccess ?? []).includes(repo.id);
}

/** The repo, if the caller may see it at all (its metadata, tree and paths), else the hub's refusal. */
export type Access = { readonly repo: HubRepo; readonly refusal?: undefined } | { readonly repo?: undefined; readonly refusal: HubRefusal };

export function repoAccess(caller: HubCaller, repo: HubRepo | undefined): Access {
  if (caller.kind === 'bad-token') return { refusal: { status: 401, message: INVALID_CREDENTIALS } };
  if (repo && (!repo.private || canSeePrivate(caller, repo))) return { repo };
  // The hub does not tell a private repo from a missing one; anonymous callers get 401 for both.
  return caller.kind === 'anonymous'
    ? { refusal: { status: 401, code: 'RepoNotFound', message: 'Invalid username or password.' } }
    : { refusal: { status: 404, code: 'RepoNotFound', message: 'Repository not found' } };
}

/** The repo, if the caller may also download its files: gated repos need granted access. */
export function fileAccess(caller: HubCaller, repo: HubRepo | undefined, hubUrl: string): Access {
  const access = repoAccess(caller, repo);
  if (!access.repo || access.repo.gated === false) return access;
  const { repo: seen } = access;
  if (caller.kind === 'user' && (seen.author === caller.token.user || (caller.token.gatedAccess ?? []).includes(seen.id))) return access;
  return caller.kind === 'anonymous'
    ? {
        refusal: {
          status: 401,
          code: 'GatedRepo',
          message: `Access to model ${seen.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
        },
      }
    : {
        refusal: {
          status: 403,
          code: 'GatedRepo',
          message: `Access to model ${seen.id} is restricted and you are not in the authorized list. Visit ${hubUrl}/${seen.id} to ask for access.`,
        },
      };
}

export function revisionNotFound(revision: string): HubRefusal {
  return { status: 404, code: 'RevisionNotFound', message: `Invalid rev id: ${revision}` };
}

export function entryNotFound(path: string, revision: string): HubRefusal {
  return { status: 404, code: 'EntryNotFound', message: `Entry not found: ${path} does not exist on "${revision}"` };
}

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

/** Whether the caller may see the repo at all: its metadata, tree and paths. */
export function repoRefusal(caller: HubCaller, repo: HubRepo | undefined): HubRefusal | undefined {
  if (caller.kind === 'bad-token') return { status: 401, message: INVALID_CREDENTIALS };
  if (repo && (!repo.private || canSeePrivate(caller, repo))) return undefined;
  // The hub does not tell a private repo from a missing one; anonymous callers get 401 for both.
  return caller.kind === 'anonymous'
    ? { status: 401, code: 'RepoNotFound', message: 'Invalid username or password.' }
    : { status: 404, code: 'RepoNotFound', message: 'Repository not found' };
}

/** Whether the caller may download the repo's files: gated repos also need granted access. */
export function fileRefusal(caller: HubCaller, repo: HubRepo | undefined, hubUrl: string): HubRefusal | undefined {
  const refusal = repoRefusal(caller, repo);
  if (refusal || !repo || repo.gated === false) return refusal;
  if (caller.kind === 'user' && (repo.author === caller.token.user || (caller.token.gatedAccess ?? []).includes(repo.id))) return undefined;
  return caller.kind === 'anonymous'
    ? {
        status: 401,
        code: 'GatedRepo',
        message: `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
      }
    : {
        status: 403,
        code: 'GatedRepo',
        message: `Access to model ${repo.id} is restricted and you are not in the authorized list. Visit ${hubUrl}/${repo.id} to ask for access.`,
      };
}

export function revisionNotFound(revision: string): HubRefusal {
  return { status: 404, code: 'RevisionNotFound', message: `Invalid rev id: ${revision}` };
}

export function entryNotFound(path: string, revision: string): HubRefusal {
  return { status: 404, code: 'EntryNotFound', message: `Entry not found: ${path} does not exist on "${revision}"` };
}

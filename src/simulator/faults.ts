// Injected failures. Each fault applies to the next `times` matching requests (default 1), then is spent.

/** Narrows a fault to one file or one version's files (CivitAI), or one repo or file path (Hugging Face);
 *  without any it matches every request of its target. */
export interface FaultScope {
  readonly fileId?: number;
  readonly versionId?: number;
  /** A Hugging Face repo id, `owner/name`. */
  readonly repo?: string;
  /** A file path inside a Hugging Face repo. */
  readonly path?: string;
  /** How many matching requests it applies to; default 1, `Infinity` for all. */
  readonly times?: number;
}

/** Which part of the site a `status` (or `cloudflare`) fault answers for. On the Hugging Face simulator `api` is
 *  the hub's `/api/` routes and `download` its `resolve` route. */
export type FaultTarget = 'api' | 'download' | 'storage';

export type Fault = FaultScope &
  (
    | /** Storage: close the socket after `afterBytes` body bytes. */ { readonly kind: 'drop'; readonly afterBytes: number }
    | /** Storage: answer a ranged GET with 200 and the full body. */ { readonly kind: 'ignore-range' }
    | /** Storage: serve a wrong byte at absolute file offset `offset`. */ { readonly kind: 'corrupt'; readonly offset: number }
    | /** Storage: the file's ETag and Last-Modified change (same bytes, re-uploaded) before answering. */ { readonly kind: 'change-etag' }
    | /** Answer `status` (JSON on the API host, XML on storage), with `Retry-After` when given. */ {
        readonly kind: 'status';
        readonly status: number;
        readonly retryAfter?: number;
        readonly target: FaultTarget;
      }
    | /** Storage: after `afterBytes` body bytes, send nothing for `ms`. */ { readonly kind: 'stall'; readonly afterBytes: number; readonly ms: number }
    | /** Storage: think for `ms` before sending the response headers (a cold object on a slow origin). */ { readonly kind: 'slow-headers'; readonly ms: number }
    | /** Storage: at most `bytesPerSecond` on the connection. */ { readonly kind: 'throttle'; readonly bytesPerSecond: number }
    | /** Download endpoint: 200 text/html login page instead of the redirect. */ { readonly kind: 'html-login' }
    | /** API host: a 403 Cloudflare challenge page; `target` narrows it to metadata or downloads. */ {
        readonly kind: 'cloudflare';
        readonly target?: Exclude<FaultTarget, 'storage'>;
      }
    | /** Storage: 403 XML AccessDenied "Request has expired". */ { readonly kind: 'expire-url' }
    | /** Download endpoint: the signed URL (hence Content-Disposition) carries this file name. */ { readonly kind: 'hostile-name'; readonly name: string }
  );

export type FaultKind = Fault['kind'];
export type FaultOf<K extends FaultKind> = Extract<Fault, { kind: K }>;

/** What a request is about, for matching faults against it. */
export interface RequestSubject {
  readonly target: FaultTarget;
  readonly fileId?: number;
  readonly versionId?: number;
  readonly repo?: string;
  readonly path?: string;
}

const TARGETS_OF: { readonly [K in FaultKind]: (fault: FaultOf<K>) => readonly FaultTarget[] } = {
  drop: () => ['storage'],
  'ignore-range': () => ['storage'],
  corrupt: () => ['storage'],
  'change-etag': () => ['storage'],
  status: (fault) => [fault.target],
  stall: () => ['storage'],
  'slow-headers': () => ['storage'],
  throttle: () => ['storage'],
  'html-login': () => ['download'],
  cloudflare: (fault) => (fault.target ? [fault.target] : ['api', 'download']),
  'expire-url': () => ['storage'],
  'hostile-name': () => ['download'],
};

function targetsOf(fault: Fault): readonly FaultTarget[] {
  return (TARGETS_OF[fault.kind] as (fault: Fault) => readonly FaultTarget[])(fault);
}

function matches(fault: Fault, subject: RequestSubject): boolean {
  if (!targetsOf(fault).includes(subject.target)) return false;
  if (fault.fileId !== undefined && fault.fileId !== subject.fileId) return false;
  if (fault.versionId !== undefined && fault.versionId !== subject.versionId) return false;
  if (fault.repo !== undefined && fault.repo !== subject.repo) return false;
  if (fault.path !== undefined && fault.path !== subject.path) return false;
  return true;
}

interface ArmedFault {
  readonly fault: Fault;
  remaining: number;
}

export class FaultBook {
  private armed: ArmedFault[] = [];

  add(fault: Fault): void {
    const times = fault.times ?? 1;
    if (!(times > 0)) throw new Error(`fault ${fault.kind}: times must be positive`);
    this.armed.push({ fault, remaining: times });
  }

  clear(): void {
    this.armed = [];
  }

  /**
   * Takes every armed fault of the given kinds that matches the request (at most one per kind, the oldest
   * first), counting each down by one.
   */
  take<K extends FaultKind>(subject: RequestSubject, kinds: readonly K[]): FaultOf<K>[] {
    const taken: FaultOf<K>[] = [];
    for (const kind of kinds) {
      const entry = this.armed.find((armed) => armed.fault.kind === kind && matches(armed.fault, subject));
      if (!entry) continue;
      entry.remaining -= 1;
      if (entry.remaining <= 0) this.armed = this.armed.filter((armed) => armed !== entry);
      taken.push(entry.fault as FaultOf<K>);
    }
    return taken;
  }
}

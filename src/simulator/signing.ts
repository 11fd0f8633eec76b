// Presigned storage URLs shaped like CivitAI's R2 ones (X-Amz-* query, filename in
// response-content-disposition). The signature covers the object key and the disposition, so a client that edits
// the URL gets 403; the expiry is kept by the signer with millisecond precision so tests can use short lifetimes.
import { createHmac, randomBytes } from 'node:crypto';

export interface SignedUrlRequest {
  readonly storageKey: string;
  /** The file name the storage host will put in Content-Disposition. */
  readonly fileName: string;
  readonly ttlMs: number;
  /** The whole Content-Disposition instead of `attachment; filename="<fileName>"`. */
  readonly contentDisposition?: string;
}

export type SignatureCheck =
  | { readonly ok: true; readonly storageKey: string; readonly contentDisposition: string }
  | { readonly ok: false; readonly reason: 'expired' | 'bad-signature' };

function amzDate(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The object key a storage request names, or undefined when its path is not valid percent-encoding. */
export function storageKeyOf(target: URL): string | undefined {
  try {
    return decodeURIComponent(target.pathname.slice(1));
  } catch {
    return undefined;
  }
}

export class UrlSigner {
  private readonly secret = randomBytes(32);
  private readonly accessKey = randomBytes(16).toString('hex');
  private readonly expiries = new Map<string, number>();

  constructor(private readonly storageOrigin: string) {}

  mint(request: SignedUrlRequest, now = Date.now()): string {
    const date = amzDate(new Date(now));
    const expires = String(Math.max(1, Math.ceil(request.ttlMs / 1000)));
    const disposition = request.contentDisposition ?? `attachment; filename="${request.fileName}"`;
    const signature = this.sign(request.storageKey, disposition, date, expires);
    this.expiries.set(signature, now + request.ttlMs);
    const query = [
      `X-Amz-Expires=${expires}`,
      `response-content-disposition=${encodeURIComponent(disposition)}`,
      'X-Amz-Algorithm=AWS4-HMAC-SHA256',
      `X-Amz-Credential=${this.accessKey}/${date.slice(0, 8)}/us-east-1/s3/aws4_request`,
      `X-Amz-Date=${date}`,
      'X-Amz-SignedHeaders=host',
      `X-Amz-Signature=${signature}`,
    ].join('&');
    return `${this.storageOrigin}/${request.storageKey.split('/').map(encodeURIComponent).join('/')}?${query}`;
  }

  /** Checks a request target (path and query) received by the storage host. */
  check(target: URL, now = Date.now()): SignatureCheck {
    const storageKey = storageKeyOf(target);
    if (storageKey === undefined) return { ok: false, reason: 'bad-signature' };
    const query = target.searchParams;
    const disposition = query.get('response-content-disposition') ?? '';
    const signature = query.get('X-Amz-Signature') ?? '';
    const expected = this.sign(storageKey, disposition, query.get('X-Amz-Date') ?? '', query.get('X-Amz-Expires') ?? '');
    const expiresAt = this.expiries.get(signature);
    if (signature !== expected || expiresAt === undefined) return { ok: false, reason: 'bad-signature' };
    if (now >= expiresAt) return { ok: false, reason: 'expired' };
    return { ok: true, storageKey, contentDisposition: disposition };
  }

  private sign(storageKey: string, disposition: string, date: string, expires: string): string {
    return createHmac('sha256', this.secret).update([storageKey, disposition, date, expires].join('\n')).digest('hex');
  }
}

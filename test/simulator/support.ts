// Small helpers shared by the simulator tests: plain undici requests against the two hosts.
import { createHash } from 'node:crypto';
import { request } from 'undici';
import type { Simulator } from '../../src/simulator/index.js';

export const API_KEY = 'sim-test-key-7f3a';
export const AGENT = 'comfyui-dl-tests/1.0';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

export async function fetchRaw(url: string, options: { method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'OPTIONS'; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  const response = await request(url, {
    method: options.method ?? 'GET',
    headers: { 'user-agent': AGENT, ...options.headers },
    body: options.body,
  });
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, headers: response.headers, body };
}

export function header(answer: Answer, name: string): string | undefined {
  const value = answer.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

export async function fetchJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown; answer: Answer }> {
  const answer = await fetchRaw(url, { headers });
  return { status: answer.status, json: JSON.parse(answer.body.toString('utf8')) as unknown, answer };
}

export const sha256Hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex').toUpperCase();

/** Asks the download endpoint for a signed storage URL without following the redirect. */
export async function signedUrl(sim: Simulator, versionId: number, query = ''): Promise<string> {
  const answer = await fetchRaw(`${sim.apiUrl}/api/download/models/${versionId}${query}`, { headers: { authorization: `Bearer ${API_KEY}` } });
  const location = header(answer, 'location');
  if (answer.status !== 307 || location === undefined) {
    throw new Error(`download endpoint answered ${answer.status}: ${answer.body.toString('utf8')}`);
  }
  return location;
}

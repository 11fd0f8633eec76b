// Shared by the Hugging Face tests: tokens the simulated hub knows, and plain requests against it.
import { createHash } from 'node:crypto';
import type { TokenSpec } from '../../src/simulator/huggingface/index.js';
import { HUB_IDS } from '../../src/simulator/huggingface/index.js';

/** A token with access to the gated repo. A canary: tests search every request to storage and every message for it. */
export const GRANTED_TOKEN = 'hf_CanaryGranted7q2ZxLmVbNc4RtYuIoPa';
/** A valid token whose user never accepted the gated repo's conditions. */
export const UNGRANTED_TOKEN = 'hf_CanaryUngranted9w3XsKdJfHg5LqWeRt';

export const TOKENS: readonly TokenSpec[] = [
  { token: GRANTED_TOKEN, user: 'alice', gatedAccess: [HUB_IDS.gated], privateAccess: [HUB_IDS.private] },
  { token: UNGRANTED_TOKEN, user: 'bob' },
];

export const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

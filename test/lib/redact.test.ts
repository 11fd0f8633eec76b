import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, redactCredentials, redactDeep } from '../../src/lib/redact.js';

const HF = 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567';

describe('redactCredentials: credentials in pasted references and URLs', () => {
  it.each([
    ['https://user:pass@civitai.com/models/1', 'https://***@civitai.com/models/1'],
    ['https://me:p@ss@civitai.com/models/1?modelVersionId=2', 'https://***@civitai.com/models/1?modelVersionId=2'],
    ['postgres://app:s3cret@db.local:5432/log', 'postgres://***@db.local:5432/log'],
    ['https://civitai.com/models/1?api_key=abc123&modelVersionId=2', 'https://civitai.com/models/1?api_key=***&modelVersionId=2'],
    ['https://civitai.com/api/download/models/5?type=Model&key=abc', 'https://civitai.com/api/download/models/5?type=Model&key=***'],
    ['https://civitai.com/models/1#token=abc123', 'https://civitai.com/models/1#token=***'],
    ['https://civitai.com/models/1?x=1#access_token=abc&api-key=def', 'https://civitai.com/models/1?x=1#access_token=***&api-key=***'],
    [`https://huggingface.co/o/r/resolve/main/f.safetensors?hf_token=${HF}`, 'https://huggingface.co/o/r/resolve/main/f.safetensors?hf_token=***'],
    [`bare token ${HF} pasted`, 'bare token hf_*** pasted'],
    ['https://b2.example/file/m?Authorization=4_002sig&b2ContentDisposition=x', 'https://b2.example/file/m?Authorization=***&b2ContentDisposition=x'],
    ['https://r2.example/k?X-Amz-Signature=abc&X-Amz-Expires=86400', 'https://r2.example/k?X-Amz-Signature=***&X-Amz-Expires=86400'],
  ])('%s', (input, expected) => {
    expect(redactCredentials(input)).toBe(expected);
    expect(redact(input)).toBe(expected);
  });

  it('leaves names and paths alone, even ones with words that look like credentials in prose', () => {
    for (const text of ['loras/SDXL/Polar Bearer Style.safetensors', 'key=value notes', 'my token=7 lora', 'hf_model_weights', 'Authorization Stamp v2']) {
      expect(redactCredentials(text)).toBe(text);
    }
  });

  it('masks given secrets raw and URL-encoded', () => {
    expect(redactCredentials('echo a/b= and a%2Fb%3D', ['a/b='])).toBe('echo *** and ***');
  });
});

describe('redact: messages', () => {
  it('also masks credentials that only prose shows', () => {
    expect(redact('sent token=abc and Authorization: Bearer xyz')).toBe('sent token=*** and Authorization: ***');
    expect(redact('sent bearer xyz to host')).toBe('sent bearer *** to host');
  });

  it('is idempotent and never grows a secret back', () => {
    fc.assert(fc.property(fc.string(), fc.constantFrom('https://u:p@h/', '?token=', '#key=', ` ${HF} `), fc.string(), (a, credential, b) => {
      const once = redact(`${a}${credential}${b}`);
      expect(redact(once)).toBe(once);
      expect(once).not.toContain(HF);
    }));
  });
});

describe('redactDeep', () => {
  it('redacts every string of an event and keeps everything else, returning untouched parts as they are', () => {
    const civitai = { name: 'x', files: [{ id: 1 }] };
    const data = { input: 'https://u:p@civitai.com/models/1?api_key=k', versionId: 7, civitai, nested: [{ url: 'https://h/f#token=t' }] };
    const out = redactDeep(data);
    expect(out).toEqual({ input: 'https://***@civitai.com/models/1?api_key=***', versionId: 7, civitai, nested: [{ url: 'https://h/f#token=***' }] });
    expect(out.civitai).toBe(civitai);
    const clean = { a: 'nothing', b: [1, 2] };
    expect(redactDeep(clean)).toBe(clean);
  });
});

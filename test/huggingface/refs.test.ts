import { describe, it, expect } from 'vitest';
import { blobUrl, formatHfRef, isHubUrl, looksLikeHfRef, parseHfRef, resolveUrl, type HfFileRef } from '../../src/huggingface/refs.js';

const ok = (input: string, endpoint?: string): HfFileRef => {
  const result = parseHfRef(input, endpoint);
  if (result.isErr()) throw new Error(result.error.message);
  return result.value;
};
const fails = (input: string, endpoint?: string): string => {
  const result = parseHfRef(input, endpoint);
  if (result.isOk()) throw new Error(`accepted ${input}`);
  expect(result.error.code).toBe('INVALID_REF');
  return result.error.message;
};

describe('Hugging Face references', () => {
  it.each([
    ['https://huggingface.co/black-forest-labs/FLUX.1-dev/resolve/main/ae.safetensors', 'black-forest-labs/FLUX.1-dev', 'main', 'ae.safetensors'],
    ['https://huggingface.co/black-forest-labs/FLUX.1-dev/blob/main/ae.safetensors', 'black-forest-labs/FLUX.1-dev', 'main', 'ae.safetensors'],
    ['https://huggingface.co/Comfy-Org/flux1-dev/resolve/main/flux1-dev-fp8.safetensors?download=true', 'Comfy-Org/flux1-dev', 'main', 'flux1-dev-fp8.safetensors'],
    ['huggingface.co/owner/repo/resolve/v1.0/a/b.safetensors', 'owner/repo', 'v1.0', 'a/b.safetensors'],
    ['https://hf.co/owner/repo/blob/main/x.gguf', 'owner/repo', 'main', 'x.gguf'],
    ['https://huggingface.co/gpt2/resolve/main/config.json', 'gpt2', 'main', 'config.json'],
    ['https://huggingface.co/o/r/resolve/main/split_files/text_encoders/t5xxl%20fp8%20(scaled).safetensors', 'o/r', 'main', 'split_files/text_encoders/t5xxl fp8 (scaled).safetensors'],
    ['https://huggingface.co/o/r/resolve/main/%E6%A8%A1%E5%9E%8B.safetensors', 'o/r', 'main', '模型.safetensors'],
    ['https://huggingface.co/o/r/resolve/refs%2Fpr%2F12/model.safetensors', 'o/r', 'refs/pr/12', 'model.safetensors'],
    ['https://huggingface.co/o/r/blob/refs/pr/3/model.safetensors', 'o/r', 'refs/pr/3', 'model.safetensors'],
    ['https://huggingface.co/o/r/resolve/feature%2Fx/model.safetensors', 'o/r', 'feature/x', 'model.safetensors'],
    ['https://huggingface.co/o/r/resolve/0123456789abcdef0123456789abcdef01234567/m.safetensors', 'o/r', '0123456789abcdef0123456789abcdef01234567', 'm.safetensors'],
    ['hf://owner/repo/model.safetensors', 'owner/repo', 'main', 'model.safetensors'],
    ['hf://owner/repo@v2/sub dir/model.safetensors', 'owner/repo', 'v2', 'sub dir/model.safetensors'],
    ['hf://owner/repo@refs%2Fpr%2F1/model.safetensors', 'owner/repo', 'refs/pr/1', 'model.safetensors'],
    ['hf://owner/repo@refs/pr/1/model.safetensors', 'owner/repo', 'refs/pr/1', 'model.safetensors'],
    ['hf://owner/repo@refs/convert/parquet/x.bin', 'owner/repo', 'refs/convert/parquet', 'x.bin'],
    ['  https://huggingface.co/o/r/resolve/main/m.safetensors  ', 'o/r', 'main', 'm.safetensors'],
  ])('%s', (input, repo, revision, path) => {
    expect(ok(input)).toEqual({ repo, revision, path });
  });

  it('takes URLs on the host of HF_ENDPOINT, under its path too, and still the public hub\'s', () => {
    expect(ok('http://127.0.0.1:4567/o/r/resolve/main/m.safetensors', 'http://127.0.0.1:4567')).toEqual({ repo: 'o/r', revision: 'main', path: 'm.safetensors' });
    expect(ok('https://mirror.example/hf/o/r/resolve/main/m.safetensors', 'https://mirror.example/hf')).toEqual({ repo: 'o/r', revision: 'main', path: 'm.safetensors' });
    expect(ok('https://huggingface.co/o/r/resolve/main/m.safetensors', 'https://mirror.example/hf').repo).toBe('o/r');
    fails('http://127.0.0.1:4567/o/r/resolve/main/m.safetensors');
    expect(isHubUrl(new URL('http://127.0.0.1:4567/x'), 'http://127.0.0.1:4567')).toBe(true);
    expect(isHubUrl(new URL('https://civitai.com/models/1'))).toBe(false);
    expect(looksLikeHfRef('hf://o/r/x')).toBe(true);
    expect(looksLikeHfRef('https://civitai.com/models/1')).toBe(false);
  });

  it('says what is wrong with references that name no file or no model repo', () => {
    expect(fails('https://huggingface.co/owner/repo')).toContain('names a repository, not a file');
    expect(fails('https://huggingface.co/owner/repo/tree/main/text_encoders')).toContain('`/tree/` pages are not files');
    expect(fails('https://huggingface.co/owner/repo/resolve/main')).toContain('names no file');
    expect(fails('https://huggingface.co/owner/repo/resolve/main/')).toContain('names no file');
    expect(fails('https://huggingface.co/datasets/owner/set/resolve/main/x.parquet')).toContain('only model repositories');
    expect(fails('hf://spaces/owner/app/app.py')).toContain('only model repositories');
    expect(fails('hf://owner/repo')).toContain('names no file');
    expect(fails('hf://owner/repo@/x.bin')).toContain('names no revision');
    expect(fails('https://huggingface.co/owner/re--po/resolve/main/x.bin')).toContain('not a valid repository name');
    expect(fails('https://huggingface.co/o/r/resolve/main/a/../../etc/passwd')).toContain('".."');
    expect(fails('https://huggingface.co/o/r/resolve/main/%E0%A4%A.bin')).toContain('percent-encoding');
    expect(fails('https://civitai.com/models/4201')).toContain('not on the Hugging Face Hub');
    expect(fails('')).toContain('empty');
  });

  it('never repeats a token pasted in a URL', () => {
    const message = fails('https://example.com/o/r/resolve/main/x.bin?token=hf_secretsecret');
    expect(message).not.toContain('hf_secretsecret');
  });

  it('builds resolve and page URLs with the revision as one encoded segment and each path segment encoded', () => {
    const ref = { repo: 'o/r', revision: 'refs/pr/1', path: 'dir/t5 fp8 (scaled).safetensors' };
    expect(resolveUrl(ref)).toBe('https://huggingface.co/o/r/resolve/refs%2Fpr%2F1/dir/t5%20fp8%20(scaled).safetensors');
    expect(blobUrl(ref, 'http://127.0.0.1:9/')).toBe('http://127.0.0.1:9/o/r/blob/refs%2Fpr%2F1/dir/t5%20fp8%20(scaled).safetensors');
    expect(formatHfRef(ref)).toBe('hf://o/r@refs/pr/1/dir/t5 fp8 (scaled).safetensors');
    expect(formatHfRef({ ...ref, revision: 'main' })).toBe('hf://o/r/dir/t5 fp8 (scaled).safetensors');
    for (const r of [ref, { ...ref, revision: 'feature/x' }, { ...ref, revision: 'main' }]) {
      expect(ok(resolveUrl(r))).toEqual(r);
      expect(ok(formatHfRef(r))).toEqual(r);
    }
  });
});

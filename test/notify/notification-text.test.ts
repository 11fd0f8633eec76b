import { describe, expect, it } from 'vitest';
import { escapeMarkup, sanitizeNotificationText } from '../../src/notify/notification-text.js';

describe('notification text', () => {
  it('strips queries from URLs, so signed URLs and token parameters never show', () => {
    expect(sanitizeNotificationText('see https://civitai.com/api/download/models/1?token=abc&type=Model now', []))
      .toBe('see https://civitai.com/api/download/models/1 now');
    expect(sanitizeNotificationText('HTTPS://cdn.example/f.bin#sig=1', [])).toBe('HTTPS://cdn.example/f.bin');
  });

  it('redacts given secrets and bearer tokens wherever they appear', () => {
    expect(sanitizeNotificationText('key=k3y! then k3y! and Authorization: Bearer zzz', ['k3y!', ''])).toBe(
      'key=*** then *** and Authorization: ***');
  });

  it('drops NUL characters, which D-Bus strings cannot carry, and every other control character', () => {
    expect(sanitizeNotificationText('a\0b', [])).toBe('ab');
    expect(sanitizeNotificationText('\x1b]0;pwned\x07done: x\u202egnp.exe\r\nnext line', [])).toBe('done: xgnp.exe\nnext line');
  });

  it('masks credentials in pasted URLs without a query too', () => {
    expect(sanitizeNotificationText('failed: https://user:pass@civitai.com/models/1 with hf_abcdefghijklmnopqrstuvwxyz0123', []))
      .toBe('failed: https://***@civitai.com/models/1 with hf_***');
  });

  it('escapes markup characters', () => {
    expect(escapeMarkup('Tom & Jerry <v2> "x"')).toBe('Tom &amp; Jerry &lt;v2&gt; "x"');
  });
});

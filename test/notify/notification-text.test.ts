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
      'key=[redacted] then [redacted] and Authorization: Bearer [redacted]');
  });

  it('drops NUL characters, which D-Bus strings cannot carry', () => {
    expect(sanitizeNotificationText('a\0b', [])).toBe('ab');
  });

  it('escapes markup characters', () => {
    expect(escapeMarkup('Tom & Jerry <v2> "x"')).toBe('Tom &amp; Jerry &lt;v2&gt; "x"');
  });
});

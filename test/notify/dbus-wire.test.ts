import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  marshalBody, marshalMessage, MessageType, parseMessages, splitSignature, type DBusValue,
} from '../../src/notify/dbus-wire.js';

const call = (signature: string, body: DBusValue[], serial = 7) => ({
  type: MessageType.MethodCall, flags: 0, serial, path: '/a/b', interface: 'x.y', member: 'M', signature, body,
});

describe('D-Bus wire format', () => {
  it('splits signatures into complete types', () => {
    expect(splitSignature('susssasa{sv}i')).toEqual(['s', 'u', 's', 's', 's', 'as', 'a{sv}', 'i']);
    expect(splitSignature('a(yv)aa{s(ii)}')).toEqual(['a(yv)', 'aa{s(ii)}']);
    expect(() => splitSignature('a(ii')).toThrow();
  });

  it('aligns values as the specification requires (bytes checked by hand)', () => {
    // y then u: 3 padding bytes; then an empty a(ii): length 0, padded to 8 although it has no elements.
    expect([...marshalBody('yua(ii)', [1, 0x01020304, []])]).toEqual([
      1, 0, 0, 0, 4, 3, 2, 1,
      0, 0, 0, 0, 0, 0, 0, 0,
    ]);
    // A string is a length, the bytes and a NUL; a variant is its signature then the aligned value.
    expect([...marshalBody('sv', ['hi', { signature: 'u', value: 5 }])]).toEqual([
      2, 0, 0, 0, 104, 105, 0,
      1, 117, 0, 0, 0, 5, 0, 0, 0,
    ]);
  });

  it('round-trips messages whose bodies mix every supported type', () => {
    const body: DBusValue[] = [
      255, true, -2, 65535, -123456, 4294967295, -(2n ** 63n), 2n ** 64n - 1n, 1.5, 'ünïcödé ✓', '/o/p', 'a{sv}',
      [['urgency', { signature: 'y', value: 2 }], ['nested', { signature: 'as', value: ['a', 'b'] }]],
      [[1, 'x'], [2, 'y']],
    ];
    const signature = 'ybnqiuxtdsoga{sv}a(is)';
    const parsed = parseMessages(marshalMessage(call(signature, body)))._unsafeUnwrap();
    expect(parsed.rest.length).toBe(0);
    expect(parsed.messages).toHaveLength(1);
    expect(parsed.messages[0]).toMatchObject({ serial: 7, path: '/a/b', interface: 'x.y', member: 'M', signature, body });
  });

  it('round-trips arbitrary strings and string arrays', () => {
    fc.assert(fc.property(fc.string(), fc.array(fc.string({ unit: 'grapheme' })), fc.integer({ min: 0, max: 255 }), (s, list, y) => {
      const message = parseMessages(marshalMessage(call('sasy', [s.replaceAll('\0', ''), list, y])))._unsafeUnwrap().messages[0];
      expect(message?.body).toEqual([s.replaceAll('\0', ''), list, y]);
    }), { numRuns: 200 });
  });

  it('keeps an incomplete message for later and splits concatenated ones', () => {
    const one = marshalMessage(call('s', ['first'], 1));
    const two = marshalMessage(call('s', ['second'], 2));
    const stream = Buffer.concat([one, two]);
    const partial = parseMessages(stream.subarray(0, one.length + 5))._unsafeUnwrap();
    expect(partial.messages.map((m) => m.body[0])).toEqual(['first']);
    expect(partial.rest.length).toBe(5);
    const rest = parseMessages(Buffer.concat([partial.rest, stream.subarray(one.length + 5)]))._unsafeUnwrap();
    expect(rest.messages.map((m) => m.body[0])).toEqual(['second']);
  });

  it('reads big-endian messages', () => {
    // A method return, serial 1, reply to serial 9, signature "u", body 42, all big-endian.
    const bytes = Buffer.from([
      0x42, 2, 0, 1, 0, 0, 0, 4, 0, 0, 0, 1,
      0, 0, 0, 15, // header fields: 15 bytes
      5, 1, 0x75, 0, 0, 0, 0, 9, // REPLY_SERIAL = (u) 9
      8, 1, 0x67, 0, 1, 0x75, 0, 0, // SIGNATURE = (g) "u", then padding to 8
      0, 0, 0, 42,
    ]);
    const [message] = parseMessages(bytes)._unsafeUnwrap().messages;
    expect(message).toMatchObject({ type: MessageType.MethodReturn, serial: 1, replySerial: 9, signature: 'u', body: [42] });
  });

  it('reports a corrupt stream as a protocol error instead of throwing', () => {
    const good = marshalMessage(call('s', ['text']));
    const badEndian = Buffer.from(good);
    badEndian[0] = 0x58;
    expect(parseMessages(badEndian)._unsafeUnwrapErr().code).toBe('DBUS_PROTOCOL_ERROR');
    const badString = Buffer.from(good);
    badString[badString.length - 1] = 0x41;
    expect(parseMessages(badString)._unsafeUnwrapErr().message).toContain('NUL');
  });

  it('ignores message types it does not know, as receivers must', () => {
    const unknown = marshalMessage(call('', []));
    unknown[1] = 9;
    const known = marshalMessage(call('', [], 8));
    expect(parseMessages(Buffer.concat([unknown, known]))._unsafeUnwrap().messages.map((m) => m.serial)).toEqual([8]);
  });

  it('refuses values that do not fit the signature (a programming error)', () => {
    expect(() => marshalBody('u', ['1'])).toThrow(TypeError);
    expect(() => marshalBody('(ii)', [[1]])).toThrow(TypeError);
    expect(() => marshalBody('ss', ['only one'])).toThrow(TypeError);
    expect(() => marshalBody('s', ['nul\0inside'])).toThrow(TypeError);
  });
});

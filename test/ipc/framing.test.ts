import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createFrameDecoder, encodeFrame, type DecodedFrame } from '../../src/ipc/framing.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');
const values = (frames: DecodedFrame[]): unknown[] => frames.map((f) => f._unsafeUnwrap());
const codes = (frames: DecodedFrame[]): string[] => frames.map((f) => (f.isErr() ? f.error.code : 'ok'));

describe('frame decoder', () => {
  it('splits lines, joins frames split across chunks and skips blank lines', () => {
    const decoder = createFrameDecoder(1024);
    expect(values(decoder.push(bytes('{"a":1}\n\n  \n{"b":')))).toEqual([{ a: 1 }]);
    expect(values(decoder.push(bytes('2}\r\n[3]\n')))).toEqual([{ b: 2 }, [3]]);
    expect(decoder.end()).toEqual([]);
  });

  it('drops an over-long line up to its newline, reports it once, and resynchronises', () => {
    const decoder = createFrameDecoder(16);
    const first = decoder.push(bytes(`{"x":"${'y'.repeat(40)}`));
    expect(codes(first)).toEqual(['FRAME_TOO_LARGE']);
    expect(decoder.push(bytes('z'.repeat(100)))).toEqual([]);
    expect(values(decoder.push(bytes('"}\n{"ok":true}\n')))).toEqual([{ ok: true }]);
  });

  it('rejects a complete line over the cap and accepts one exactly at it', () => {
    const decoder = createFrameDecoder(10);
    const exact = '"12345678"'; // 10 bytes
    expect(values(decoder.push(bytes(`${exact}\n`)))).toEqual(['12345678']);
    expect(codes(decoder.push(bytes(`"123456789"\n1\n`)))).toEqual(['FRAME_TOO_LARGE', 'ok']);
  });

  it('reports invalid UTF-8 and binary garbage as BAD_FRAME without echoing it', () => {
    const decoder = createFrameDecoder(1024);
    const garbage = Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a, 0x01, 0x02, 0x0a]);
    const frames = decoder.push(Buffer.concat([garbage, bytes('{"after":1}\n')]));
    expect(codes(frames)).toEqual(['BAD_FRAME', 'BAD_FRAME', 'ok']);
    expect(frames[0]?._unsafeUnwrapErr().message).toMatch(/UTF-8/);
    expect(frames[2]?._unsafeUnwrap()).toEqual({ after: 1 });
  });

  it('reports truncated JSON, mid-stream and at the end of the stream', () => {
    const decoder = createFrameDecoder(1024);
    const midStream = decoder.push(bytes('{"t":"req","id":1,\n'));
    expect(codes(midStream)).toEqual(['BAD_FRAME']);
    expect(midStream[0]?._unsafeUnwrapErr().message).not.toContain('"req"');
    decoder.push(bytes('{"t":"re'));
    const atEnd = decoder.end();
    expect(codes(atEnd)).toEqual(['BAD_FRAME']);
    expect(atEnd[0]?._unsafeUnwrapErr().message).toMatch(/truncated/);
  });

  it('accepts a final frame without its newline', () => {
    const decoder = createFrameDecoder(1024);
    decoder.push(bytes('{"last":true}'));
    expect(values(decoder.end())).toEqual([{ last: true }]);
  });

  it('decodes whatever encodeFrame produced, however the bytes are chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { maxLength: 8 }), fc.array(fc.nat(64), { maxLength: 8 }), (items, cuts) => {
        const stream = bytes(items.map(encodeFrame).join(''));
        const decoder = createFrameDecoder(1 << 20);
        const out: DecodedFrame[] = [];
        let at = 0;
        for (const cut of cuts) {
          out.push(...decoder.push(stream.subarray(at, at + cut)));
          at += cut;
        }
        out.push(...decoder.push(stream.subarray(at)), ...decoder.end());
        // JSON has no -0; everything else must survive the trip unchanged.
        expect(values(out)).toEqual(JSON.parse(JSON.stringify(items)));
      }),
      { numRuns: 200 },
    );
  });
});

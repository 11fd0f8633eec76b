// The JSON of a safetensors header, read the way the reference implementation reads it (huggingface/safetensors
// deserialises it with serde_json into `HashMap<String, TensorInfo>` plus `__metadata__: HashMap<String,String>`),
// in one pass over the text. JSON.parse is more lenient than serde_json where it matters here: it would take a
// UTF-8 BOM, `\f` or U+00A0 as padding (after String#trim), 16.0 or 1.6e1 for 16, and lone surrogates in names.
// serde_json (and this reader) accept as whitespace only space, tab, LF and CR; read a shape or an offset only from
// an integer token; refuse a string with an unpaired surrogate escape or a raw control character.
//
// Deliberately stricter than the reference: a repeated key is refused in every object (serde keeps the last of a
// repeated tensor or metadata name, which hides a smuggled tensor); an offset beyond 2^53 is refused (no file is
// that long, so the reference refuses such a header too, only later).
import { err, ok, type Result } from 'neverthrow';
import { headerError, quoteName, type HeaderError } from './header-error.js';

/** A non-negative integer token: a number while exact, a bigint beyond 2^53 (shapes may hold up to u64). */
export type Count = number | bigint;

export interface RawTensor {
  readonly dtype: string;
  readonly shape: readonly Count[];
  readonly begin: number;
  readonly end: number;
}

export interface RawHeader {
  readonly tensors: Map<string, RawTensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * More tensors than any real model file holds (the largest single files have tens of thousands). This is the
 * reader's memory budget: with it, and the 100 MB cap on the header, what a header can make the reader hold is
 * bounded by construction (the reference has no such cap; no file of its test suite comes near it).
 */
export const MAX_TENSORS = 250_000;

/** serde_json's default recursion limit: deeper input is an error there too. */
const MAX_DEPTH = 128;
const U64_MAX = 2n ** 64n - 1n;

/** Raised inside the parser and turned into a Result at its one entry point. */
class Refusal {
  constructor(readonly error: HeaderError) {}
}

const notJson = (message: string): Refusal => new Refusal(headerError('HEADER_NOT_JSON', message));

export function parseHeaderJson(text: string, isDtype: (dtype: string) => boolean): Result<RawHeader, HeaderError> {
  try {
    return ok(new HeaderParser(text, isDtype).header());
  } catch (e) {
    if (e instanceof Refusal) return err(e.error);
    throw e;
  }
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
// eslint-disable-next-line no-control-regex
const PLAIN_RUN = /[^"\\\x00-\x1f]*/y;

class HeaderParser {
  private at = 0;

  constructor(private readonly text: string, private readonly isDtype: (dtype: string) => boolean) {}

  header(): RawHeader {
    this.space();
    if (this.peek() !== 0x7b) throw notJson(this.at === 0 && this.text.charCodeAt(0) === 0xfeff ? 'The header starts with a byte-order mark, which is not JSON.' : `The header is not a JSON object (${this.where()}).`);
    const tensors = new Map<string, RawTensor>();
    let metadata: Record<string, string> | undefined;
    this.object(1, (name) => {
      if (name === '__metadata__') {
        if (metadata !== undefined) throw new Refusal(headerError('DUPLICATE_KEY', 'The header repeats the key "__metadata__".', name));
        metadata = this.metadata();
        return;
      }
      if (tensors.has(name)) throw new Refusal(headerError('DUPLICATE_KEY', `The header repeats the key ${quoteName(name)}.`, name));
      if (tensors.size === MAX_TENSORS) throw new Refusal(headerError('HEADER_TOO_LARGE', `The header lists more than ${MAX_TENSORS} tensors, far more than any model file has.`));
      tensors.set(name, this.tensor(name));
    });
    this.space();
    if (this.at < this.text.length) throw notJson(`The header has more after its JSON object (${this.where()}); only spaces, tabs and line breaks may pad it.`);
    return { tensors, metadata: metadata ?? Object.create(null) };
  }

  // --- the header's own shapes -------------------------------------------------------------------------------

  private metadata(): Record<string, string> {
    if (this.literal('null')) return Object.create(null) as Record<string, string>;
    // The value is read through first, so that a syntax error in it is reported as such, as serde_json would.
    if (this.peek() !== 0x7b) {
      this.value(2);
      throw new Refusal(headerError('METADATA_INVALID', '__metadata__ is not an object of strings.'));
    }
    const out = Object.create(null) as Record<string, string>;
    const seen = new Set<string>();
    this.object(2, (key) => {
      if (seen.has(key)) throw new Refusal(headerError('DUPLICATE_KEY', `The header repeats the key ${quoteName(key)}.`, key));
      seen.add(key);
      if (this.peek() !== 0x22) {
        this.value(3);
        throw new Refusal(headerError('METADATA_INVALID', `__metadata__ value ${quoteName(key)} is not a string.`, key));
      }
      out[key] = this.string();
    });
    return out;
  }

  private tensor(name: string): RawTensor {
    if (this.peek() !== 0x7b) {
      this.value(2);
      throw this.invalidTensor(name, 'entry is not an object');
    }
    // The object is read here rather than through object(): this runs once per tensor, millions of times in a
    // hostile header, so no closure or set per entry.
    let dtype: string | undefined;
    let shape: Count[] | undefined;
    let offsets: Count[] | undefined;
    let unknown: string[] | undefined;
    this.at++;
    this.space();
    if (this.peek() === 0x7d) this.at++;
    else {
      for (;;) {
        this.space();
        if (this.peek() !== 0x22) throw notJson(`Expected a key in quotes (${this.where()}).`);
        const field = this.string();
        this.space();
        if (this.next() !== 0x3a) throw notJson(`Expected : after a key (${this.where(-1)}).`);
        this.space();
        // serde's derived TensorInfo refuses a repeated field; unknown fields are skipped (but must be JSON).
        const repeated = (): Refusal => this.invalidTensor(name, `the field ${quoteName(field)} is repeated`);
        if (field === 'dtype') {
          if (dtype !== undefined) throw repeated();
          if (this.peek() !== 0x22) throw this.invalidTensor(name, 'dtype is not a string');
          dtype = this.string();
        } else if (field === 'shape') {
          if (shape !== undefined) throw repeated();
          shape = this.counts(name, 'shape');
        } else if (field === 'data_offsets') {
          if (offsets !== undefined) throw repeated();
          offsets = this.counts(name, 'data_offsets');
        } else {
          if (unknown?.includes(field)) throw repeated();
          (unknown ??= []).push(field);
          this.value(3);
        }
        this.space();
        const c = this.next();
        if (c === 0x7d) break;
        if (c !== 0x2c) throw notJson(`Expected , or } (${this.where(-1)}).`);
      }
    }
    if (dtype === undefined) throw this.invalidTensor(name, 'dtype is missing');
    if (!this.isDtype(dtype)) throw new Refusal(headerError('UNKNOWN_DTYPE', `Tensor ${quoteName(name)} has unknown dtype ${quoteName(dtype)}.`, name));
    if (shape === undefined) throw this.invalidTensor(name, 'shape is missing');
    if (offsets === undefined) throw this.invalidTensor(name, 'data_offsets is missing');
    if (offsets.length !== 2) throw this.invalidTensor(name, 'data_offsets is not a pair of non-negative integers');
    const [begin, end] = offsets as [Count, Count];
    if (typeof begin !== 'number' || typeof end !== 'number') {
      throw new Refusal(headerError('OFFSETS_INVALID', `Tensor ${quoteName(name)} has an offset beyond 2^53 bytes, past the end of any file.`, name));
    }
    return { dtype, shape, begin, end };
  }

  private invalidTensor(name: string, what: string): Refusal {
    return new Refusal(headerError('TENSOR_INVALID', `Tensor ${quoteName(name)}: ${what}.`, name));
  }

  /** An array of non-negative integer tokens, each at most u64 (what serde reads into usize). */
  private counts(name: string, field: string): Count[] {
    if (this.peek() !== 0x5b) {
      this.value(3);
      throw this.invalidTensor(name, `${field} is not a list of non-negative integers`);
    }
    this.at++;
    const out: Count[] = [];
    this.space();
    if (this.peek() === 0x5d) {
      this.at++;
      return out;
    }
    for (;;) {
      this.space();
      const start = this.at;
      const number = this.number();
      if (number.kind !== 'integer' || number.negative || (typeof number.value === 'bigint' && number.value > U64_MAX)) {
        throw this.invalidTensor(name, `${field} holds ${this.text.slice(start, Math.min(this.at, start + 40))}, not a non-negative integer`);
      }
      out.push(number.value);
      this.space();
      const c = this.next();
      if (c === 0x5d) return out;
      if (c !== 0x2c) throw notJson(`Expected , or ] in ${field} (${this.where(-1)}).`);
    }
  }

  // --- JSON, as serde_json reads it --------------------------------------------------------------------------

  /** `{ "key": value, … }`; `member` reads the value after each key. */
  private object(depth: number, member: (key: string) => void): void {
    if (depth > MAX_DEPTH) throw new Refusal(headerError('HEADER_TOO_DEEP', `The header nests deeper than ${MAX_DEPTH} levels.`));
    this.at++;
    this.space();
    if (this.peek() === 0x7d) {
      this.at++;
      return;
    }
    for (;;) {
      this.space();
      if (this.peek() !== 0x22) throw notJson(`Expected a key in quotes (${this.where()}).`);
      const key = this.string();
      this.space();
      if (this.next() !== 0x3a) throw notJson(`Expected : after a key (${this.where(-1)}).`);
      this.space();
      member(key);
      this.space();
      const c = this.next();
      if (c === 0x7d) return;
      if (c !== 0x2c) throw notJson(`Expected , or } (${this.where(-1)}).`);
    }
  }

  /** Any JSON value, checked and skipped. */
  private value(depth: number): void {
    const c = this.peek();
    if (c === 0x7b) this.object(depth, () => this.value(depth + 1));
    else if (c === 0x5b) this.array(depth);
    else if (c === 0x22) this.string();
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) this.number();
    else if (!this.literal('true') && !this.literal('false') && !this.literal('null')) throw notJson(`Expected a JSON value (${this.where()}).`);
  }

  private array(depth: number): void {
    if (depth > MAX_DEPTH) throw new Refusal(headerError('HEADER_TOO_DEEP', `The header nests deeper than ${MAX_DEPTH} levels.`));
    this.at++;
    this.space();
    if (this.peek() === 0x5d) {
      this.at++;
      return;
    }
    for (;;) {
      this.space();
      this.value(depth + 1);
      this.space();
      const c = this.next();
      if (c === 0x5d) return;
      if (c !== 0x2c) throw notJson(`Expected , or ] (${this.where(-1)}).`);
    }
  }

  private literal(word: string): boolean {
    if (!this.text.startsWith(word, this.at)) return false;
    this.at += word.length;
    return true;
  }

  /**
   * `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`. Like serde_json: a token with a fraction or an exponent is
   * a float, and so is `-0` and an integer beyond 64 bits; only the rest is an integer.
   */
  private number(): { kind: 'integer'; negative: boolean; value: Count } | { kind: 'float' } {
    const text = this.text;
    const negative = text.charCodeAt(this.at) === 0x2d;
    if (negative) this.at++;
    const digitsStart = this.at;
    let value = 0;
    let c = text.charCodeAt(this.at);
    if (c === 0x30) c = text.charCodeAt(++this.at);
    else if (c >= 0x31 && c <= 0x39) {
      do {
        value = value * 10 + (c - 0x30);
        c = text.charCodeAt(++this.at);
      } while (c >= 0x30 && c <= 0x39);
    } else throw notJson(`Expected a digit (${this.where()}).`);
    const digitsEnd = this.at;
    let float = false;
    if (c === 0x2e) {
      this.at++;
      if (!this.digits()) throw notJson(`Expected a digit after the decimal point (${this.where()}).`);
      float = true;
      c = text.charCodeAt(this.at);
    }
    if (c === 0x65 || c === 0x45) {
      this.at++;
      if (this.peek() === 0x2b || this.peek() === 0x2d) this.at++;
      if (!this.digits()) throw notJson(`Expected a digit in the exponent (${this.where()}).`);
      float = true;
      c = text.charCodeAt(this.at);
    }
    if (c >= 0x30 && c <= 0x39) throw notJson(`A number may not have a leading zero (${this.where()}).`);
    if (float || (negative && value === 0 && digitsEnd - digitsStart === 1)) return { kind: 'float' };
    if (digitsEnd - digitsStart <= 15) return { kind: 'integer', negative, value };
    const big = BigInt(text.slice(digitsStart, digitsEnd));
    if (big > (negative ? 2n ** 63n : U64_MAX)) return { kind: 'float' };
    return { kind: 'integer', negative, value: big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big };
  }

  private digits(): boolean {
    const start = this.at;
    for (let c = this.peek(); c >= 0x30 && c <= 0x39; c = this.peek()) this.at++;
    return this.at > start;
  }

  /**
   * A string token: no raw control character, valid escapes, every surrogate escape paired. Checked here in one
   * pass; a string with escapes is then decoded by JSON.parse, which agrees with serde_json on every string that
   * passes the check (and is native, so a string of millions of escapes costs no more than a plain one).
   */
  private string(): string {
    const text = this.text;
    const start = this.at;
    this.at++;
    let escaped = false;
    for (;;) {
      PLAIN_RUN.lastIndex = this.at;
      PLAIN_RUN.test(text);
      this.at = PLAIN_RUN.lastIndex;
      const c = text.charCodeAt(this.at);
      if (c === 0x22) {
        this.at++;
        return escaped ? (JSON.parse(text.slice(start, this.at)) as string) : text.slice(start + 1, this.at - 1);
      }
      if (Number.isNaN(c)) throw notJson('The header ends inside a string.');
      if (c !== 0x5c) throw notJson(`A string holds a raw control character (${this.where()}).`);
      escaped = true;
      const e = text.charCodeAt(this.at + 1);
      if (e === 0x75) {
        this.at += 2;
        this.unicodeEscape();
      } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) this.at += 2;
      else throw notJson(`A string holds an invalid escape (${this.where()}).`);
    }
  }

  /** After `\u`: four hex digits; a high surrogate must be followed by `\u` and a low one. */
  private unicodeEscape(): void {
    const high = this.hex4();
    if (high >= 0xdc00 && high <= 0xdfff) throw notJson(`A string holds a lone surrogate \\u${high.toString(16)} (${this.where(-6)}).`);
    if (high < 0xd800 || high > 0xdbff) return;
    if (this.text.charCodeAt(this.at) !== 0x5c || this.text.charCodeAt(this.at + 1) !== 0x75) {
      throw notJson(`A string holds a lone surrogate \\u${high.toString(16)} (${this.where(-6)}).`);
    }
    this.at += 2;
    const low = this.hex4();
    if (low < 0xdc00 || low > 0xdfff) throw notJson(`A string holds a lone surrogate \\u${high.toString(16)} (${this.where(-12)}).`);
  }

  private hex4(): number {
    const hex = this.text.slice(this.at, this.at + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw notJson(`A \\u escape needs four hex digits (${this.where()}).`);
    this.at += 4;
    return Number.parseInt(hex, 16);
  }

  private space(): void {
    while (isSpace(this.text.charCodeAt(this.at))) this.at++;
  }

  private peek(): number {
    return this.text.charCodeAt(this.at);
  }

  private next(): number {
    return this.text.charCodeAt(this.at++);
  }

  /** Where the reader is, for messages: the character offset and what is there. */
  private where(shift = 0): string {
    const at = Math.max(0, this.at + shift);
    if (at >= this.text.length) return 'at the end';
    return `at character ${at}: ${JSON.stringify(this.text.slice(at, at + 12))}`;
  }
}

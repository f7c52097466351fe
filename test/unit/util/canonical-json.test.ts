/**
 * canonicalJson is what airlock signs (the DSSE payload) and hashes (the sandbox policy digest): equal values
 * must give identical bytes whatever order their keys were built in.
 */
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import test from 'ava';
import * as fc from 'fast-check';

import { canonicalJson } from '../../../src/util/canonical-json.js';
import { h1ToHex, sha256Hex } from '../../../src/util/hash.js';
import { assertProperty } from '../../helpers/properties.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A key that JSON.parse keeps in text order (integer-like keys are moved to the front by every JS engine). */
const textOrderKey = fc.string({ maxLength: 6, unit: 'binary' }).filter((key) => !/^(0|[1-9]\d*)$/.test(key));
/** Any JSON key, integer-like ones included. */
const anyKey = fc.oneof(fc.string({ maxLength: 6, unit: 'binary' }), fc.nat({ max: 20 }).map(String));

function jsonArbitrary(key: fc.Arbitrary<string>): fc.Arbitrary<Json> {
  const leaf: fc.Arbitrary<Json> = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.string({ unit: 'binary' }),
  );
  return fc.letrec<{ value: Json }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(key, tie('value'), { maxKeys: 5 }),
    ),
  })).value;
}

/** The same value, with the keys of every object inserted in another order. */
function reorder(value: Json, pick: (length: number) => number): Json {
  if (Array.isArray(value)) return value.map((item) => reorder(item, pick));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  const shuffled: Array<[string, Json]> = [];
  while (entries.length > 0) shuffled.push(entries.splice(pick(entries.length), 1)[0]!);
  const result: { [key: string]: Json } = {};
  for (const [key, item] of shuffled) result[key] = reorder(item, pick);
  return result;
}

/** Code-unit order, the order RFC 8785 (JCS) prescribes for member names. */
const codeUnitOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Walks a parsed value; every object's keys (in text order) must be sorted and arrays must equal the source. */
function assertSortedEverywhere(parsed: unknown, original: unknown): void {
  if (Array.isArray(parsed)) {
    if (!Array.isArray(original) || original.length !== parsed.length) throw new Error('array changed length');
    parsed.forEach((item, index) => assertSortedEverywhere(item, original[index]));
    return;
  }
  if (parsed !== null && typeof parsed === 'object') {
    const keys = Object.keys(parsed);
    const sorted = [...keys].sort(codeUnitOrder);
    if (keys.join('\u0000') !== sorted.join('\u0000')) throw new Error(`keys not sorted: ${JSON.stringify(keys)}`);
    for (const key of keys) assertSortedEverywhere((parsed as Record<string, unknown>)[key], (original as Record<string, unknown>)[key]);
  }
}

test('object keys are sorted at every depth, arrays keep their order', (t) => {
  const value = {
    zeta: 1,
    alpha: { z: [3, 1, 2], a: { y: true, b: null }, M: 'upper before lower' },
    _type: 'underscore sorts after upper-case letters',
    list: [{ b: 2, a: 1 }, 'x', [{ d: 4, c: 3 }]],
    '10': 'ten',
    '9': 'nine',
  };
  t.is(
    canonicalJson(value),
    '{"10":"ten","9":"nine","_type":"underscore sorts after upper-case letters",' +
      '"alpha":{"M":"upper before lower","a":{"b":null,"y":true},"z":[3,1,2]},' +
      '"list":[{"a":1,"b":2},"x",[{"c":3,"d":4}]],"zeta":1}',
  );
});

test('keys are ordered by UTF-16 code units, as RFC 8785 specifies', (t) => {
  // U+FB01 (one code unit 0xFB01) sorts after U+1F600 (surrogates 0xD83D 0xDE00) by code units, though its
  // code point is smaller; "\r" (0x0D) before "1" (0x31); ASCII upper before lower.
  t.is(canonicalJson({ '\uFB01': 1, '\u{1F600}': 2, '1': 3, '\r': 4, b: 5, B: 6 }), '{"\\r":4,"1":3,"B":6,"b":5,"😀":2,"ﬁ":1}');
});

test('undefined members are dropped at every depth, null is kept', (t) => {
  t.is(canonicalJson({ a: undefined, b: 1, c: { d: undefined, e: null }, f: [{ g: undefined }] }), '{"b":1,"c":{"e":null},"f":[{}]}');
});

test('scalars and strings serialise as JSON.stringify does', (t) => {
  for (const value of [null, true, false, 0, -0, 1.5, -1e21, 1e-7, '', 'quote " backslash \\ newline \n', '\u2028', '\u0000']) {
    t.is(canonicalJson(value), JSON.stringify(value), String(value));
  }
  t.is(canonicalJson([]), '[]');
  t.is(canonicalJson({}), '{}');
});

test('property: equal objects with keys in different orders serialise identically', (t) => {
  assertProperty(
    t,
    fc.property(jsonArbitrary(anyKey), fc.infiniteStream(fc.nat()), (value, stream) => {
      const picks = stream[Symbol.iterator]();
      const other = reorder(value, (length) => (picks.next().value as number) % length);
      return canonicalJson(other) === canonicalJson(value);
    }),
  );
});

test('property: the output is JSON of the same value, with keys sorted at every depth', (t) => {
  assertProperty(
    t,
    fc.property(jsonArbitrary(textOrderKey), (value) => {
      const text = canonicalJson(value);
      const parsed: unknown = JSON.parse(text);
      assertSortedEverywhere(parsed, value);
      // The same value as JSON.stringify gives (which turns -0 into 0 the same way), and a fixed point.
      return isDeepStrictEqual(parsed, JSON.parse(JSON.stringify(value))) && canonicalJson(parsed) === text;
    }),
  );
});

test('property: adding undefined members changes nothing', (t) => {
  assertProperty(
    t,
    fc.property(fc.dictionary(textOrderKey, jsonArbitrary(textOrderKey), { maxKeys: 5 }), fc.array(textOrderKey, { maxLength: 3 }), (value, extra) => {
      const withUndefined: Record<string, unknown> = { ...value };
      for (const key of extra) if (!(key in withUndefined)) withUndefined[key] = undefined;
      return canonicalJson(withUndefined) === canonicalJson(value);
    }),
  );
});

// Regression test for a fixed bug: an undefined (or function) element of an array is written as nothing, so [1, undefined] becomes
// "[1,]", which is not JSON at all (JSON.stringify writes null there). The statement never holds such an
// array today, but canonicalJson is a general serialiser and its output is signed and hashed.
test('an undefined array element still gives parseable JSON', (t) => {
  const text = canonicalJson([1, undefined, 2]);
  t.notThrows(() => JSON.parse(text), text);
  t.is(text, JSON.stringify([1, undefined, 2]));
});

test('h1ToHex: the in-toto dirHash example and an airlock toolchain digest', (t) => {
  // The DigestSet spec's example: h1:Khu2En+0gcYPZ2kuIihfswbzxv/mIHXgzPZ018Oty48= is 2a1bb612…cb8f.
  t.is(h1ToHex('h1:Khu2En+0gcYPZ2kuIihfswbzxv/mIHXgzPZ018Oty48='), '2a1bb6127fb481c60f67692e22285fb306f3c6ffe62075e0ccf674d7c3adcb8f');
  // Decoded with `base64 -d | xxd -p`.
  t.is(h1ToHex('h1:r0ub+FnqzZxoWm/dSUOI9DcIqYWn/mNYGFJcv7PyBzs='), 'af4b9bf859eacd9c685a6fdd494388f43708a985a7fe635818525cbfb3f2073b');
  t.is(h1ToHex('r0ub+FnqzZxoWm/dSUOI9DcIqYWn/mNYGFJcv7PyBzs='), 'af4b9bf859eacd9c685a6fdd494388f43708a985a7fe635818525cbfb3f2073b');
});

test('property: h1ToHex inverts the h1: encoding of any 32-byte digest', (t) => {
  assertProperty(
    t,
    fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
      const hex = h1ToHex(`h1:${Buffer.from(bytes).toString('base64')}`);
      return /^[0-9a-f]{64}$/.test(hex) && hex === Buffer.from(bytes).toString('hex');
    }),
  );
});

test('sha256Hex: FIPS 180-2 "abc" vector, strings as UTF-8', (t) => {
  t.is(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.is(sha256Hex(new TextEncoder().encode('abc')), sha256Hex('abc'));
  t.is(sha256Hex('é'), createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
});

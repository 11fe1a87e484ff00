/** ReplacingBody as a stream: rules in order, a body past the bound passed through unchanged, binary left alone. */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compileReplacements, ReplacingBody, type BodyOutcome } from './modify-body.js';

async function run(chunks: Buffer[], bound: number, encoding: 'identity' | 'gzip' | 'deflate' | 'br' = 'identity') {
  let outcome: BodyOutcome | undefined;
  const rules = compileReplacements([
    { match: 'cat', replace: 'dog' },
    { match: 'd(o)g', replace: '[$1]', isRegex: true },
  ]);
  const out: Buffer[] = [];
  await pipeline(Readable.from(chunks), new ReplacingBody(rules, bound, encoding, (o) => (outcome = o)), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  return { body: Buffer.concat(out).toString('utf8'), outcome: outcome! };
}

describe('ReplacingBody', () => {
  it('applies the rules in order, the second on the first one\'s result, across chunks', async () => {
    const { body, outcome } = await run([Buffer.from('a c'), Buffer.from('at and a cat')], 1000);
    expect(body).toBe('a [o] and a [o]');
    expect(outcome).toMatchObject({ applied: [0, 1], tooLarge: false });
    expect(outcome.original!.toString()).toBe('a cat and a cat');
  });

  it('passes a body past the bound through unchanged', async () => {
    const big = Buffer.from('cat '.repeat(1000));
    const { body, outcome } = await run([big.subarray(0, 1500), big.subarray(1500)], 1000);
    expect(body).toBe(big.toString());
    expect(outcome).toEqual({ applied: [], tooLarge: true });
  });

  it('decodes gzip, deflate and br', async () => {
    for (const [encoding, encode] of [['gzip', zlib.gzipSync], ['deflate', zlib.deflateSync], ['br', zlib.brotliCompressSync]] as const) {
      const packed = encode(Buffer.from('one cat'));
      const { body } = await run([packed.subarray(0, 5), packed.subarray(5)], 1000, encoding);
      expect(body, encoding).toBe('one [o]');
    }
  });

  it('leaves a body that is not UTF-8 as it is', async () => {
    const binary = Buffer.from([0x63, 0x61, 0x74, 0xff, 0xfe]);
    let outcome: BodyOutcome | undefined;
    const out: Buffer[] = [];
    await pipeline(Readable.from([binary]), new ReplacingBody(compileReplacements([{ match: 'cat', replace: 'dog' }]), 1000, 'identity', (o) => (outcome = o)), async (s: AsyncIterable<Buffer>) => {
      for await (const c of s) out.push(c);
    });
    expect(Buffer.concat(out).equals(binary)).toBe(true);
    expect(outcome!.applied).toEqual([]);
  });
});

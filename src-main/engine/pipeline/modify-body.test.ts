/**
 * ReplacingBody as a stream: rules in order, a body past the bound passed through unchanged, binary left alone; large
 * bodies replaced in a worker (the event loop measured against the same rules in place), the time budget.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BodyReplacement } from '../../../src-shared/modifications.js';
import { compileReplacements, ReplacingBody, type BodyOutcome, type ReplaceOptions } from './modify-body.js';
import { ReplacePool } from './modify-pool.js';

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

/** Through ReplacingBody with these options: what came out, the outcome, and the longest the event loop stalled. */
async function timed(body: Buffer, rules: BodyReplacement[], options: ReplaceOptions) {
  let outcome: BodyOutcome | undefined;
  const out: Buffer[] = [];
  // The longest gap between ticks of a 5 ms timer: how long this thread could not serve anything else.
  let last = performance.now();
  let stall = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  await pipeline(Readable.from([body]), new ReplacingBody(compileReplacements(rules), 16 * 1024 * 1024, 'identity', (o) => (outcome = o), options), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) out.push(chunk);
  });
  const ms = performance.now() - started;
  clearInterval(ticker);
  stall = Math.max(stall, performance.now() - last);
  return { body: Buffer.concat(out), outcome: outcome!, stall, ms };
}

describe('ReplacingBody off the event loop', () => {
  let pool: ReplacePool;
  beforeAll(async () => {
    pool = new ReplacePool(1);
    // A worker started from source loads the TypeScript loader first: started here, it is not in the budgets below.
    await pool.run([{ match: 'a', replace: 'b' }], Buffer.from('a'), 60_000);
  });
  afterAll(() => pool.close());
  const pathological: BodyReplacement = { match: '(a+)+$', replace: 'X', isRegex: true };
  const body = Buffer.from(`${'a'.repeat(1024 * 1024)}b`);

  it('keeps the event loop free while a slow rule runs on a large body, with the same result as in place', async () => {
    // Large enough that the in-place stall (~1 s) stands well above a loaded machine's timer jitter.
    const large = Buffer.from(`${'a'.repeat(4 * 1024 * 1024)}b`);
    const inPlace = await timed(large, [pathological, { match: 'ab', replace: 'AB' }], { inlineLimit: Number.MAX_SAFE_INTEGER });
    const inWorker = await timed(large, [pathological, { match: 'ab', replace: 'AB' }], { pool });
    console.log(`4 MiB, (a+)+$ then a plain rule: in place ${inPlace.ms.toFixed(0)} ms with a ${inPlace.stall.toFixed(0)} ms stall; in a worker ${inWorker.ms.toFixed(0)} ms with a ${inWorker.stall.toFixed(0)} ms stall`);
    expect(inWorker.body.equals(inPlace.body)).toBe(true);
    expect(inWorker.body.subarray(-3).toString()).toBe('aAB');
    expect(inWorker.outcome).toMatchObject({ applied: [1], tooLarge: false });
    expect(inWorker.outcome.original!.equals(large)).toBe(true);
    // The in-place run stalls the loop for (nearly) all of its time; the worker's leaves it free.
    expect(inPlace.stall).toBeGreaterThan(inPlace.ms / 2);
    expect(inWorker.stall).toBeLessThan(inPlace.stall / 5);
  });

  it('sends the body unchanged past the budget, naming the rule that ran out of time, and replaces the worker', async () => {
    const rules: BodyReplacement[] = [{ match: 'b', replace: 'B' }, pathological, pathological, pathological];
    const slow = await timed(body, rules, { pool, budgetMs: 150 });
    expect(slow.body.equals(body)).toBe(true);
    const { original, ...rest } = slow.outcome;
    // Which pathological rule the budget ends in depends on the machine's speed (a quiet one finishes the first).
    expect(rest).toEqual({ applied: [], tooLarge: false, timedOut: { rule: expect.any(Number), budgetMs: 150 } });
    expect([1, 2, 3]).toContain(rest.timedOut!.rule);
    expect(original!.equals(body)).toBe(true);
    // Within the budget plus a worker's start, nowhere near the rules' own time.
    expect(slow.ms).toBeLessThan(150 + 2000);
    expect(pool.workers()).toBe(0);
    // A fresh worker takes the next body.
    const next = await timed(Buffer.from('cat '.repeat(10_000)), [{ match: 'cat', replace: 'dog' }], { pool });
    expect(next.body.toString()).toBe('dog '.repeat(10_000));
    expect(pool.workers()).toBe(1);
  });

  it('counts the wait for a busy worker in the budget', async () => {
    // ~150 ms (a quiet machine) to ~500 ms (a loaded one) per rule on 1 MiB: eight are past 300 ms on either.
    const slow = Array.from({ length: 8 }, () => pathological);
    const [first, second] = await Promise.all([timed(body, slow, { pool, budgetMs: 300 }), timed(body, [pathological], { pool, budgetMs: 300 })]);
    expect(first.outcome.timedOut).toEqual({ rule: expect.any(Number), budgetMs: 300 });
    expect(second.outcome.timedOut).toEqual({ budgetMs: 300 });
    expect(second.body.equals(body)).toBe(true);
  });

  it('fails the body when its worker fails (a result too long for a string), leaving the pool working', async () => {
    const huge = Buffer.from('a'.repeat(64 * 1024));
    const rules: BodyReplacement[] = [{ match: 'a', replace: 'x'.repeat(65_536) }];
    await expect(timed(huge, rules, { pool, budgetMs: 30_000 })).rejects.toThrow(/body replacements failed/);
    const next = await timed(Buffer.from('cat '.repeat(10_000)), [{ match: 'cat', replace: 'dog' }], { pool });
    expect(next.outcome.applied).toEqual([0]);
  });
});

describe('where a body is replaced', () => {
  it('in place only while its length times the number of rules stays within the inline limit', async () => {
    const pool = new ReplacePool(1);
    const runs: number[] = [];
    const counting = { run: (...args: Parameters<ReplacePool['run']>) => (runs.push(args[1].length), pool.run(...args)) } as unknown as ReplacePool;
    const rules: BodyReplacement[] = [{ match: 'cat', replace: 'dog' }, { match: 'dog', replace: 'cow' }];
    try {
      for (const size of [100, 1000]) {
        const body = Buffer.from('cat '.repeat(size / 4));
        const { body: out } = await timed(body, rules, { pool: counting, inlineLimit: 1000 });
        expect(out.toString()).toBe('cow '.repeat(size / 4));
      }
      // 100 × 2 rules stays in place; 1000 × 2 goes to the worker.
      expect(runs).toEqual([1000]);
    } finally {
      await pool.close();
    }
  });
});

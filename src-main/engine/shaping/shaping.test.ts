import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { randomSources, seededRandom } from './random.js';
import { Throttle } from './throttle.js';

describe('Throttle', () => {
  it('passes every byte in order, in slices of about 1/20 s worth', async () => {
    const input = Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251));
    const out: Buffer[] = [];
    await pipeline(
      Readable.from([input.subarray(0, 25_000), input.subarray(25_000)]),
      new Throttle(200_000),
      new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk), done()) }),
    );
    expect(Buffer.concat(out).equals(input)).toBe(true);
    expect(Math.max(...out.map((c) => c.length))).toBe(10_000);
  });

  it('holds its writer: the next chunk is taken only once the last slice of the previous one is out', async () => {
    const throttle = new Throttle(1000);
    const accepted: number[] = [];
    throttle.on('data', () => undefined);
    const writes = [Buffer.alloc(100), Buffer.alloc(100), Buffer.alloc(100)].map(
      (chunk, i) => new Promise<void>((resolve) => throttle.write(chunk, () => (accepted.push(i), resolve()))),
    );
    // 100 bytes at 1000 B/s in 50-byte slices: the first write's callback comes after its second slice.
    await writes[0];
    expect(accepted).toEqual([0]);
    await Promise.all(writes);
    expect(accepted).toEqual([0, 1, 2]);
    throttle.destroy();
  });

  it('stops its timer when destroyed mid-chunk', async () => {
    const throttle = new Throttle(100);
    throttle.on('data', () => undefined);
    throttle.write(Buffer.alloc(1000));
    throttle.destroy();
    await new Promise((r) => throttle.once('close', r));
    expect(throttle.destroyed).toBe(true);
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new Throttle(0)).toThrow(RangeError);
  });
});

describe('random sources', () => {
  it('give the same sequence for the same seed, another for another', () => {
    const draw = (seed: number) => Array.from({ length: 20 }, seededRandom(seed));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    const { fate, jitter } = randomSources(7);
    expect(fate()).not.toBe(jitter());
  });

  it('draw uniformly in [0, 1)', () => {
    const random = seededRandom(12345);
    const buckets = new Array<number>(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = random();
      if (x < 0 || x >= 1) outside++;
      else buckets[Math.floor(x * 10)]!++;
    }
    expect(outside).toBe(0);
    // 10,000 expected per bucket, sd 95: far inside ±5%.
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });
});

import { describe, expect, it } from 'vitest';
import { ChunkCache, clusters } from './read-ahead.js';

const loc = (segment: number, offset: number, length = 100) => ({ segment, offset, length });

describe('read-ahead clusters', () => {
  it('joins records close to each other, per segment, from `before` ahead, and skips what is not written yet', () => {
    const written = (segment: number) => (segment === 1 ? 1_000_000 : 500);
    expect(clusters([loc(1, 5000), loc(1, 1000), loc(1, 200_000), loc(2, 0), loc(2, 450)], written, 300)).toEqual([
      { segment: 1, start: 700, end: 5100 },
      { segment: 1, start: 199_700, end: 200_100 },
      { segment: 2, start: 0, end: 100 },
    ]);
  });

  it('keeps one read under 4 MiB', () => {
    const locs = Array.from({ length: 100 }, (_, i) => loc(1, i * 60_000, 1000));
    const ranges = clusters(locs, () => Number.MAX_SAFE_INTEGER);
    expect(ranges.length).toBeGreaterThan(1);
    for (const r of ranges) expect(r.end - r.start).toBeLessThanOrEqual(4 * 1024 * 1024);
  });
});

describe('chunk cache', () => {
  it('answers a record inside a chunk with a copy, forgets the oldest chunks past its bound and deleted segments', () => {
    const cache = new ChunkCache();
    const bytes = Buffer.from('0123456789');
    cache.add({ segment: 3, start: 100, end: 110 }, bytes);
    const got = cache.get(loc(3, 102, 3))!;
    expect(got.toString()).toBe('234');
    bytes[2] = 0x41;
    expect(got.toString()).toBe('234');
    expect(cache.get(loc(3, 108, 3))).toBeUndefined();
    for (let i = 0; i < 3; i++) cache.add({ segment: 4, start: i * 5_000_000, end: (i + 1) * 5_000_000 }, Buffer.alloc(5_000_000));
    expect(cache.get(loc(3, 102, 3))).toBeUndefined();
    expect(cache.has({ segment: 4, start: 10_000_000, end: 15_000_000 })).toBe(true);
    cache.dropBefore(5);
    expect(cache.has({ segment: 4, start: 10_000_000, end: 15_000_000 })).toBe(false);
  });
});

/**
 * Read-ahead for a page of entries: the records of consecutive entries (and the bodies between them) lie next to
 * each other in a segment, so a page is read as a few large reads instead of one per entry and one per body. The
 * chunks read are kept (bounded, least recently used first out) and later reads inside them are answered from
 * memory. Only the written part of a segment is ever read ahead, which never changes (the log is append-only; a
 * torn tail is cut only when the log opens), so a chunk cannot go stale; a deleted segment's chunks are dropped.
 */
import type { RecordLocation } from './segment-types.js';

/** Records at most this far apart are read together (what lies between them, bodies mostly, comes along). */
const GAP_BYTES = 64 * 1024;
/** One read at most (a page of large bodies is read in several). */
const MAX_CHUNK_BYTES = 4 * 1024 * 1024;
/** Chunks kept, in bytes. */
const KEPT_BYTES = 8 * 1024 * 1024;

export interface ChunkRange {
  segment: number;
  start: number;
  end: number;
}

interface Chunk extends ChunkRange {
  bytes: Buffer;
}

/**
 * The ranges to read for `locs` (each within `written(segment)`), starting `before` bytes ahead of each cluster's
 * first record so the bodies appended just before it come along.
 */
export function clusters(locs: readonly RecordLocation[], written: (segment: number) => number, before = 0): ChunkRange[] {
  const sorted = [...locs].sort((a, b) => a.segment - b.segment || a.offset - b.offset);
  const out: ChunkRange[] = [];
  let current: ChunkRange | undefined;
  for (const loc of sorted) {
    const end = loc.offset + loc.length;
    if (end > written(loc.segment)) continue;
    if (current && current.segment === loc.segment && loc.offset - current.end <= GAP_BYTES && end - current.start <= MAX_CHUNK_BYTES) {
      current.end = Math.max(current.end, end);
      continue;
    }
    current = { segment: loc.segment, start: Math.max(0, loc.offset - before), end };
    out.push(current);
  }
  return out;
}

export class ChunkCache {
  private readonly chunks: Chunk[] = [];
  private bytes = 0;

  add(range: ChunkRange, bytes: Buffer): void {
    this.chunks.push({ ...range, bytes });
    this.bytes += bytes.length;
    while (this.bytes > KEPT_BYTES && this.chunks.length > 1) this.bytes -= this.chunks.shift()!.bytes.length;
  }

  /** The record's bytes, copied out of a chunk that holds it whole, or undefined. */
  get(loc: RecordLocation): Buffer | undefined {
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const c = this.chunks[i]!;
      if (c.segment !== loc.segment || loc.offset < c.start || loc.offset + loc.length > c.end) continue;
      // Used again: it moves to the end, out of the way of eviction.
      if (i !== this.chunks.length - 1) this.chunks.push(...this.chunks.splice(i, 1));
      return Buffer.from(c.bytes.subarray(loc.offset - c.start, loc.offset - c.start + loc.length));
    }
    return undefined;
  }

  has(range: ChunkRange): boolean {
    return this.chunks.some((c) => c.segment === range.segment && c.start <= range.start && c.end >= range.end);
  }

  dropBefore(segment: number): void {
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      if (this.chunks[i]!.segment < segment) this.bytes -= this.chunks.splice(i, 1)[0]!.bytes.length;
    }
  }
}

/**
 * A stream that lets bytes through at a fixed rate (the toxics' bandwidth and slow reads). A token bucket one
 * slice deep: bytes go in slices of about 1/20 s worth (at most 16 KiB), each when its time has come, so a body
 * flows steadily instead of in bursts, and a pause upstream (a slow server, an idle SSE stream) earns no more
 * than one slice of credit. Back-pressure is kept both ways: a chunk's callback waits until its last slice is out,
 * so the writer is held (a client's upload is read no faster than the rate), and pushing respects the reader's
 * high-water mark through Transform's own accounting. Nothing is held beyond the chunk being passed on.
 */
import { Transform, type TransformCallback } from 'node:stream';

const SLICES_PER_SECOND = 20;
const MAX_SLICE = 16 * 1024;

export class Throttle extends Transform {
  private readonly slice: number;
  private readonly msPerByte: number;
  /** performance.now() at which the next slice may go. */
  private nextAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly bytesPerSecond: number) {
    super();
    if (!(bytesPerSecond > 0)) throw new RangeError(`a throttle needs a positive rate, got ${bytesPerSecond}`);
    this.slice = Math.max(1, Math.min(MAX_SLICE, Math.floor(bytesPerSecond / SLICES_PER_SECOND)));
    this.msPerByte = 1000 / bytesPerSecond;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    let offset = 0;
    const step = () => {
      this.timer = undefined;
      while (offset < chunk.length) {
        if (this.destroyed) return;
        const now = performance.now();
        if (this.nextAt > now) {
          this.timer = setTimeout(step, this.nextAt - now);
          return;
        }
        const size = Math.min(this.slice, chunk.length - offset);
        this.push(offset === 0 && size === chunk.length ? chunk : chunk.subarray(offset, offset + size));
        offset += size;
        // A timer that fired late keeps its place in the schedule; an idle spell earns at most one slice.
        const base = Math.max(this.nextAt, now - this.slice * this.msPerByte);
        this.nextAt = base + size * this.msPerByte;
      }
      done();
    };
    step();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    callback(error);
  }
}

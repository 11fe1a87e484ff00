/** Keeps the first `limit` bytes of a body and counts all of them: the client and upstream still get every byte. */
export class BodyAccumulator {
  private chunks: Buffer[] = [];
  private kept = 0;
  size = 0;
  ended = false;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    this.size += chunk.length;
    if (this.kept >= this.limit) return;
    const room = this.limit - this.kept;
    // No copy: socket reads arrive in fresh buffers and written chunks are not reused by their writers, so
    // holding a reference is safe; bytes() joins them once, when the entry is stored.
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
  }

  get truncated(): boolean {
    return this.size > this.kept;
  }

  /** The kept bytes as they arrived: one buffer, or the chunks (joined only if someone needs them joined). */
  payload(): Buffer | readonly Buffer[] {
    return this.chunks.length === 1 ? this.chunks[0]! : this.chunks;
  }

  get keptSize(): number {
    return this.kept;
  }

  bytes(): Buffer {
    if (this.chunks.length === 1) return this.chunks[0]!;
    const joined = Buffer.concat(this.chunks, this.kept);
    this.chunks = [joined];
    return joined;
  }
}

export function toBuffer(chunk: unknown, encoding?: BufferEncoding): Buffer | undefined {
  if (chunk === undefined || chunk === null) return undefined;
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return undefined;
}

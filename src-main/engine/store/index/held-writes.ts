/**
 * The writes a failing disk refused (host-file-ops.ts), kept in memory in order for one real file until the disk
 * takes them again. Reads lay them over the disk's bytes, so SQLite reads back what it wrote; the file on disk is
 * always a prefix of SQLite's writes (see the top of host-files.ts).
 */
import fs from 'node:fs';
import { E_NOSPC } from './host-abi.js';

type HeldOp = { offset: number; bytes: Uint8Array } | { truncate: number };

/** One real file's writes that the disk has not taken yet, oldest first. */
export class HeldWrites {
  readonly ops: HeldOp[] = [];
  bytes = 0;
  /** The file's size as SQLite sees it (on disk + held). */
  size = 0;
  error: string | undefined;

  get holding(): boolean {
    return this.ops.length > 0;
  }

  /** Keeps `src` from `done` on, written at `position`; E_NOSPC past `maxBytes` held. */
  holdWrite(src: Uint8Array, done: number, position: number, maxBytes: number): number {
    const rest = src.length - done;
    if (this.bytes + rest > maxBytes) return E_NOSPC;
    this.ops.push({ offset: position + done, bytes: src.slice(done) });
    this.bytes += rest;
    this.size = Math.max(this.size, position + src.length);
    return 0;
  }

  holdTruncate(size: number): void {
    this.ops.push({ truncate: size });
    this.size = size;
  }

  /**
   * `window` holds the disk's bytes from `position` (zero past its end): every held write is laid over them in
   * order, what SQLite wrote as it would read it back. Returns the bytes the read got.
   */
  overlay(window: Uint8Array, position: number, length: number): number {
    const end = position + length;
    for (const op of this.ops) {
      if ('truncate' in op) {
        if (op.truncate < end) window.fill(0, Math.max(0, op.truncate - position));
        continue;
      }
      const from = Math.max(position, op.offset);
      const to = Math.min(end, op.offset + op.bytes.length);
      if (from < to) window.set(op.bytes.subarray(from - op.offset, to - op.offset), from - position);
    }
    return Math.max(0, Math.min(length, this.size - position));
  }

  /** Writes held ops to the disk in order, as far as it takes them (`writer` opens the write descriptor). */
  drain(writer: () => number): void {
    while (this.ops.length > 0) {
      const op = this.ops[0]!;
      try {
        const fd = writer();
        if ('truncate' in op) {
          fs.ftruncateSync(fd, op.truncate);
        } else {
          while (op.bytes.length > 0) {
            const n = fs.writeSync(fd, op.bytes, 0, op.bytes.length, op.offset);
            op.bytes = op.bytes.subarray(n);
            op.offset += n;
            this.bytes -= n;
          }
        }
        this.ops.shift();
      } catch (error) {
        this.error = (error as Error).message;
        return;
      }
    }
    this.bytes = 0;
    this.error = undefined;
  }
}

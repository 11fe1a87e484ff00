/**
 * What the host file bridge (host-files.ts, host-file-ops.ts) must speak of Emscripten's libc: its errno numbers,
 * its open(2) flags, the layout of the structs SQLite reads, and how a path under HOST_ROOT names a real file.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The virtual directory under which a path means the real file system path after it. */
export const HOST_ROOT = '/host';

/** Emscripten's errno numbers (WASI's), for the Node error codes a file call can produce. */
const ERRNO: Record<string, number> = {
  EACCES: 2, EAGAIN: 6, EBADF: 8, EBUSY: 10, EDQUOT: 19, EEXIST: 20, EFBIG: 22, EINTR: 27, EINVAL: 28, EIO: 29,
  EISDIR: 31, ELOOP: 32, EMFILE: 33, ENAMETOOLONG: 37, ENFILE: 41, ENOENT: 44, ENOMEM: 48, ENOSPC: 51, ENOSYS: 52,
  ENOTDIR: 54, ENOTEMPTY: 55, EPERM: 63, EROFS: 69, ESPIPE: 70, ENXIO: 60, EXDEV: 75,
};
export const E_INVAL = 28;
const E_IO = 29;
export const E_NOSPC = 51;

/** Write failures that mean "not now" (the disk may come back), not "never". */
const HOLDABLE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EFBIG', 'EAGAIN', 'EINTR']);

export function errnoOf(error: unknown): number {
  return ERRNO[(error as NodeJS.ErrnoException)?.code ?? ''] ?? E_IO;
}

export function isHoldable(error: unknown): boolean {
  return HOLDABLE.has((error as NodeJS.ErrnoException).code ?? '');
}

/** open(2) flags as Emscripten's libc (musl, generic Linux numbering) passes them. */
export const O = { ACCMODE: 3, CREAT: 0o100, EXCL: 0o200, TRUNC: 0o1000, APPEND: 0o2000, DIRECTORY: 0o200000, NOFOLLOW: 0o400000 };

export function nativeFlags(flags: number): number {
  const c = fs.constants;
  const access = flags & O.ACCMODE;
  let out = access === 2 ? c.O_RDWR : access === 1 ? c.O_WRONLY : c.O_RDONLY;
  if (flags & O.CREAT) out |= c.O_CREAT;
  if (flags & O.EXCL) out |= c.O_EXCL;
  if (flags & O.TRUNC) out |= c.O_TRUNC;
  if (flags & O.APPEND) out |= c.O_APPEND;
  if (flags & O.DIRECTORY && c.O_DIRECTORY !== undefined) out |= c.O_DIRECTORY;
  if (flags & O.NOFOLLOW && c.O_NOFOLLOW !== undefined) out |= c.O_NOFOLLOW;
  return out;
}

export function isHostPath(p: string): boolean {
  return p === HOST_ROOT || p.startsWith(`${HOST_ROOT}/`);
}

export function realPath(p: string): string {
  const rest = p.slice(HOST_ROOT.length) || '/';
  // Windows: /C:/dir → C:/dir
  return /^\/[A-Za-z]:\//.test(rest) ? rest.slice(1) : rest;
}

export function toHostPath(real: string): string {
  const posix = real.split(path.sep).join('/');
  return `${HOST_ROOT}${posix.startsWith('/') ? '' : '/'}${posix}`;
}

/** The WASM memory, as far as the file calls need it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/** Views of the WASM heap, made again whenever the memory grew (its buffer is then a new one). */
export class WasmHeap {
  private memory: WasmMemory | undefined;
  private bytes = new Uint8Array(0);
  private view = new DataView(new ArrayBuffer(0));
  private readonly decoder = new TextDecoder();

  attach(memory: WasmMemory): void {
    this.memory = memory;
  }

  get attached(): boolean {
    return this.memory !== undefined;
  }

  u8(): Uint8Array {
    if (this.bytes.buffer !== this.memory!.buffer) {
      this.bytes = new Uint8Array(this.memory!.buffer);
      this.view = new DataView(this.memory!.buffer);
    }
    return this.bytes;
  }

  dv(): DataView {
    this.u8();
    return this.view;
  }

  cstring(ptr: number): string {
    const heap = this.u8();
    let end = ptr;
    while (heap[end] !== 0) end++;
    return this.decoder.decode(heap.subarray(ptr, end));
  }

  /** struct stat as Emscripten's libc lays it out (wasm32). */
  writeStat(buf: number, st: fs.BigIntStats, size?: number): number {
    const d = this.dv();
    const u32 = (at: number, v: bigint) => d.setUint32(buf + at, Number(v & 0xffff_ffffn), true);
    u32(0, st.dev);
    u32(4, st.mode);
    u32(8, st.nlink);
    u32(12, st.uid);
    u32(16, st.gid);
    u32(20, st.rdev);
    d.setBigInt64(buf + 24, size !== undefined ? BigInt(size) : st.size, true);
    d.setInt32(buf + 32, 4096, true);
    d.setInt32(buf + 36, Number(st.blocks & 0x7fff_ffffn), true);
    const time = (at: number, ns: bigint) => {
      d.setBigInt64(buf + at, ns / 1_000_000_000n, true);
      d.setUint32(buf + at + 8, Number(ns % 1_000_000_000n), true);
    };
    time(40, st.atimeNs);
    time(56, st.mtimeNs);
    time(72, st.ctimeNs);
    d.setBigInt64(buf + 88, st.ino, true);
    return 0;
  }

  /** WASI's fdstat of a regular file. */
  writeFdstat(buf: number): number {
    const d = this.dv();
    d.setUint8(buf, 4); // a regular file
    d.setUint16(buf + 2, 0, true);
    d.setBigUint64(buf + 8, 0n, true);
    d.setBigUint64(buf + 16, 0n, true);
    return 0;
  }
}

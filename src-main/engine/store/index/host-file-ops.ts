/**
 * The file side of the host file bridge (host-files.ts): the descriptors SQLite opened on real files, answered by
 * node:fs straight between the file and the WASM heap, and the writes a failing disk refused, held in order until
 * it takes them again. The rules these keep (what is held, why a sync with writes held answers success) are at the
 * top of host-files.ts.
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
const E_INVAL = 28;
const E_IO = 29;
const E_NOSPC = 51;

/** Write failures that mean "not now" (the disk may come back), not "never". */
const HOLDABLE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EFBIG', 'EAGAIN', 'EINTR']);

function errnoOf(error: unknown): number {
  return ERRNO[(error as NodeJS.ErrnoException)?.code ?? ''] ?? E_IO;
}

/** open(2) flags as Emscripten's libc (musl, generic Linux numbering) passes them. */
const O = { ACCMODE: 3, CREAT: 0o100, EXCL: 0o200, TRUNC: 0o1000, APPEND: 0o2000, DIRECTORY: 0o200000, NOFOLLOW: 0o400000 };

function nativeFlags(flags: number): number {
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

type HeldOp = { offset: number; bytes: Uint8Array } | { truncate: number };

/** One real file's writes that the disk has not taken yet, oldest first. */
class HeldWrites {
  readonly ops: HeldOp[] = [];
  bytes = 0;
  /** The file's size as SQLite sees it (on disk + held). */
  size = 0;
  error: string | undefined;
}

/**
 * A file SQLite opened. Reads go through a read-only descriptor kept open; writes through one opened when needed and
 * closed after each batch (release()), as the session logs do: an open write descriptor would keep an administrator
 * from remounting the disk read-only, and a descriptor of a deleted file from freeing its space.
 */
export interface OpenFile {
  fd: number;
  /** The write descriptor, while one is open. */
  wfd: number | undefined;
  key: string;
  flags: number;
  position: number;
}

export interface HostFileStats {
  /** Bytes written by SQLite that the disk has not taken yet. */
  heldBytes: number;
  /** Why, while bytes are held. */
  error?: string;
  /** Descriptors open on real files. */
  open: number;
}

const FD_BASE = 1 << 20;

/** The WASM memory, as far as the file calls need it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

export class HostFiles {
  private memory: WasmMemory | undefined;
  private bytes = new Uint8Array(0);
  private view = new DataView(new ArrayBuffer(0));
  private readonly files = new Map<number, OpenFile>();
  private readonly held = new Map<string, HeldWrites>();
  private nextFd = FD_BASE;
  private readonly decoder = new TextDecoder();

  constructor(private readonly maxHeldBytes: number) {}

  attach(memory: WasmMemory): void {
    this.memory = memory;
  }

  get attached(): boolean {
    return this.memory !== undefined;
  }

  private u8(): Uint8Array {
    if (this.bytes.buffer !== this.memory!.buffer) {
      this.bytes = new Uint8Array(this.memory!.buffer);
      this.view = new DataView(this.memory!.buffer);
    }
    return this.bytes;
  }

  private dv(): DataView {
    this.u8();
    return this.view;
  }

  cstring(ptr: number): string {
    const heap = this.u8();
    let end = ptr;
    while (heap[end] !== 0) end++;
    return this.decoder.decode(heap.subarray(ptr, end));
  }

  static ours(p: string): boolean {
    return p === HOST_ROOT || p.startsWith(`${HOST_ROOT}/`);
  }

  static real(p: string): string {
    const rest = p.slice(HOST_ROOT.length) || '/';
    // Windows: /C:/dir → C:/dir
    return /^\/[A-Za-z]:\//.test(rest) ? rest.slice(1) : rest;
  }

  file(fd: number): OpenFile | undefined {
    return fd >= FD_BASE ? this.files.get(fd) : undefined;
  }

  stats(): HostFileStats {
    let heldBytes = 0;
    let error: string | undefined;
    for (const h of this.held.values()) {
      heldBytes += h.bytes;
      error ??= h.ops.length > 0 ? h.error : undefined;
    }
    return { heldBytes, ...(error ? { error } : {}), open: this.files.size };
  }

  // ---- syscalls (negative errno for __syscall_*, positive for the WASI fd_* ones) ----

  open(pathPtr: number, flags: number, varargs: number): number {
    const p = this.cstring(pathPtr);
    try {
      const mode = varargs ? this.dv().getInt32(varargs, true) : 0;
      const real = HostFiles.real(p);
      // Files are the owner's only, whatever SQLite asks (0644 by default): they hold traffic.
      let wfd: number | undefined;
      if ((flags & O.ACCMODE) !== 0) wfd = fs.openSync(real, nativeFlags(flags), mode ? 0o600 : undefined);
      let fd: number;
      try {
        fd = fs.openSync(real, (flags & O.DIRECTORY) ? nativeFlags(flags & ~O.ACCMODE) : fs.constants.O_RDONLY);
      } catch (error) {
        if (wfd !== undefined) fs.closeSync(wfd);
        throw error;
      }
      const id = this.nextFd++;
      this.files.set(id, { fd, wfd, key: real, flags, position: 0 });
      return id;
    } catch (error) {
      return -errnoOf(error);
    }
  }

  close(file: OpenFile, id: number): number {
    this.files.delete(id);
    const held = this.held.get(file.key);
    if (held && held.ops.length > 0) this.drainFile(file, held);
    if (![...this.files.values()].some((f) => f.key === file.key)) this.held.delete(file.key);
    try {
      this.releaseFile(file);
      fs.closeSync(file.fd);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }

  /** The write descriptor, opened again when a batch needs one. */
  private writer(file: OpenFile): number {
    file.wfd ??= fs.openSync(file.key, fs.constants.O_WRONLY);
    return file.wfd;
  }

  private releaseFile(file: OpenFile): void {
    if (file.wfd === undefined) return;
    const wfd = file.wfd;
    file.wfd = undefined;
    fs.closeSync(wfd);
  }

  /** Closes every write descriptor (the worker calls it after each message: see OpenFile). */
  release(): void {
    for (const file of this.files.values()) {
      try {
        this.releaseFile(file);
      } catch { /* a close error loses nothing: the bytes are in the page cache */ }
    }
  }

  private heldFor(file: OpenFile): HeldWrites | undefined {
    const held = this.held.get(file.key);
    return held && held.ops.length > 0 ? held : undefined;
  }

  /** The file's size as SQLite sees it. */
  size(file: OpenFile): number {
    return this.heldFor(file)?.size ?? fs.fstatSync(file.fd).size;
  }

  read(file: OpenFile, iov: number, count: number, resultPtr: number): number {
    try {
      let total = 0;
      for (let i = 0; i < count; i++) {
        const base = this.dv().getUint32(iov + i * 8, true);
        const length = this.dv().getUint32(iov + i * 8 + 4, true);
        const got = this.readAt(file, base, length, file.position);
        file.position += got;
        total += got;
        if (got < length) break;
      }
      this.dv().setUint32(resultPtr, total, true);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }

  private readAt(file: OpenFile, base: number, length: number, position: number): number {
    const held = this.heldFor(file);
    if (!held) return readFully(file.fd, this.u8(), base, length, position);
    // The disk's bytes, then every held write over them in order: what SQLite wrote, as it would read it back.
    const window = this.u8().subarray(base, base + length);
    window.fill(0);
    readFully(file.fd, this.u8(), base, length, position);
    const end = position + length;
    for (const op of held.ops) {
      if ('truncate' in op) {
        if (op.truncate < end) window.fill(0, Math.max(0, op.truncate - position));
        continue;
      }
      const from = Math.max(position, op.offset);
      const to = Math.min(end, op.offset + op.bytes.length);
      if (from < to) window.set(op.bytes.subarray(from - op.offset, to - op.offset), from - position);
    }
    return Math.max(0, Math.min(length, held.size - position));
  }

  write(file: OpenFile, iov: number, count: number, resultPtr: number): number {
    try {
      let total = 0;
      for (let i = 0; i < count; i++) {
        const base = this.dv().getUint32(iov + i * 8, true);
        const length = this.dv().getUint32(iov + i * 8 + 4, true);
        const position = file.flags & O.APPEND ? this.size(file) : file.position;
        const errno = this.writeAt(file, this.u8().subarray(base, base + length), position);
        if (errno !== 0) {
          if (total > 0) break;
          return errno;
        }
        file.position = position + length;
        total += length;
      }
      this.dv().setUint32(resultPtr, total, true);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }

  private writeAt(file: OpenFile, src: Uint8Array, position: number): number {
    let held = this.heldFor(file);
    if (held) {
      this.drainFile(file, held);
      held = this.heldFor(file);
    }
    let done = 0;
    if (!held) {
      try {
        const wfd = this.writer(file);
        while (done < src.length) done += fs.writeSync(wfd, src, done, src.length - done, position + done);
        return 0;
      } catch (error) {
        if (!HOLDABLE.has((error as NodeJS.ErrnoException).code ?? '')) return errnoOf(error);
        held = this.startHolding(file, error);
      }
    }
    const rest = src.length - done;
    if (held.bytes + rest > this.maxHeldBytes) return E_NOSPC;
    held.ops.push({ offset: position + done, bytes: src.slice(done) });
    held.bytes += rest;
    held.size = Math.max(held.size, position + src.length);
    return 0;
  }

  private startHolding(file: OpenFile, error: unknown): HeldWrites {
    let held = this.held.get(file.key);
    if (!held) {
      held = new HeldWrites();
      this.held.set(file.key, held);
    }
    held.size = fs.fstatSync(file.fd).size;
    held.error = (error as Error).message;
    return held;
  }

  truncate(file: OpenFile, size: number): number {
    let held = this.heldFor(file);
    if (held) {
      this.drainFile(file, held);
      held = this.heldFor(file);
    }
    if (!held) {
      try {
        fs.ftruncateSync(this.writer(file), size);
        return 0;
      } catch (error) {
        if (!HOLDABLE.has((error as NodeJS.ErrnoException).code ?? '')) return -errnoOf(error);
        held = this.startHolding(file, error);
      }
    }
    held.ops.push({ truncate: size });
    held.size = size;
    return 0;
  }

  sync(file: OpenFile): number {
    const held = this.heldFor(file);
    if (held) {
      this.drainFile(file, held);
      // Still held: the disk holds a prefix of SQLite's writes, which is a state it recovers from (see the top).
      if (this.heldFor(file)) return 0;
    }
    try {
      // The read descriptor for a directory; a file's written pages through a write descriptor (Windows insists).
      fs.fdatasyncSync(file.flags & O.DIRECTORY || (file.flags & O.ACCMODE) === 0 ? file.fd : this.writer(file));
      return 0;
    } catch (error) {
      // A directory cannot be synced everywhere (Windows): SQLite does not need it to be.
      if ((error as NodeJS.ErrnoException).code === 'EISDIR' || (error as NodeJS.ErrnoException).code === 'EINVAL') return 0;
      return errnoOf(error);
    }
  }

  /** Writes held ops to the disk in order, as far as it takes them. */
  private drainFile(file: OpenFile, held: HeldWrites): void {
    while (held.ops.length > 0) {
      const op = held.ops[0]!;
      try {
        const fd = this.writer(file);
        if ('truncate' in op) {
          fs.ftruncateSync(fd, op.truncate);
        } else {
          while (op.bytes.length > 0) {
            const n = fs.writeSync(fd, op.bytes, 0, op.bytes.length, op.offset);
            op.bytes = op.bytes.subarray(n);
            op.offset += n;
            held.bytes -= n;
          }
        }
        held.ops.shift();
      } catch (error) {
        held.error = (error as Error).message;
        return;
      }
    }
    held.bytes = 0;
    held.error = undefined;
  }

  drain(): void {
    for (const file of this.files.values()) {
      const held = this.heldFor(file);
      if (held) this.drainFile(file, held);
    }
  }

  seek(file: OpenFile, offset: bigint, whence: number, resultPtr: number): number {
    try {
      const base = whence === 0 ? 0 : whence === 1 ? file.position : this.size(file);
      const position = base + Number(offset);
      if (position < 0 || !Number.isSafeInteger(position)) return E_INVAL;
      file.position = position;
      this.dv().setBigInt64(resultPtr, BigInt(position), true);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
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

  fstat(file: OpenFile, buf: number): number {
    try {
      const held = this.heldFor(file);
      return this.writeStat(buf, fs.fstatSync(file.fd, { bigint: true }), held?.size);
    } catch (error) {
      return -errnoOf(error);
    }
  }

  statPath(p: string, buf: number, follow: boolean): number {
    try {
      const real = HostFiles.real(p);
      const st = follow ? fs.statSync(real, { bigint: true }) : fs.lstatSync(real, { bigint: true });
      const held = this.held.get(real);
      return this.writeStat(buf, st, held && held.ops.length > 0 ? held.size : undefined);
    } catch (error) {
      return -errnoOf(error);
    }
  }

  fdstat(buf: number): number {
    const d = this.dv();
    d.setUint8(buf, 4); // a regular file
    d.setUint16(buf + 2, 0, true);
    d.setBigUint64(buf + 8, 0n, true);
    d.setBigUint64(buf + 16, 0n, true);
    return 0;
  }

  fcntl(file: OpenFile, cmd: number, varargs: number): number {
    switch (cmd) {
      case 1: // F_GETFD
      case 2: // F_SETFD
      case 4: // F_SETFL
      case 13: // F_SETLK: one process per data dir (its lock), one connection per index: nothing to arbitrate
      case 14: // F_SETLKW
        return 0;
      case 3: // F_GETFL
        return file.flags;
      case 12: { // F_GETLK: nobody else holds a lock
        const flock = this.dv().getInt32(varargs, true);
        this.dv().setInt16(flock, 2, true); // F_UNLCK
        return 0;
      }
      default:
        return -E_INVAL;
    }
  }

  access(p: string, mode: number): number {
    try {
      fs.accessSync(HostFiles.real(p), mode);
      return 0;
    } catch (error) {
      return -errnoOf(error);
    }
  }

  unlink(p: string, flags: number): number {
    try {
      const real = HostFiles.real(p);
      if (flags & 0x200) fs.rmdirSync(real);
      else fs.unlinkSync(real);
      return 0;
    } catch (error) {
      return -errnoOf(error);
    }
  }

  readlink(p: string, buf: number, size: number): number {
    try {
      let target = fs.readlinkSync(HostFiles.real(p));
      if (path.isAbsolute(target)) target = toHostPath(target);
      const bytes = Buffer.from(target, 'utf8');
      const n = Math.min(size, bytes.length);
      this.u8().set(bytes.subarray(0, n), buf);
      return n;
    } catch (error) {
      return -errnoOf(error);
    }
  }
}

function readFully(fd: number, heap: Uint8Array, base: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, heap, base + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export function toHostPath(real: string): string {
  const posix = real.split(path.sep).join('/');
  return `${HOST_ROOT}${posix.startsWith('/') ? '' : '/'}${posix}`;
}

/**
 * The file side of the host file bridge (host-files.ts): the descriptors SQLite opened on real files, answered by
 * node:fs straight between the file and the WASM heap, and the writes a failing disk refused, held in order until
 * it takes them again (held-writes.ts). The rules these keep (what is held, why a sync with writes held answers
 * success) are at the top of host-files.ts; the libc numbers and struct layouts are in host-abi.ts, the calls by path in host-path-ops.ts.
 */
import fs from 'node:fs';
import { E_INVAL, errnoOf, isHoldable, isHostPath, nativeFlags, O, realPath, WasmHeap, type WasmMemory } from './host-abi.js';
import { HeldWrites } from './held-writes.js';
import { accessPath, fcntl, readlinkPath, statPath, unlinkPath } from './host-path-ops.js';

export { HOST_ROOT, toHostPath, type WasmMemory } from './host-abi.js';

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

export class HostFiles {
  private readonly heap = new WasmHeap();
  private readonly files = new Map<number, OpenFile>();
  private readonly held = new Map<string, HeldWrites>();
  private nextFd = FD_BASE;

  constructor(private readonly maxHeldBytes: number) {}

  attach(memory: WasmMemory): void {
    this.heap.attach(memory);
  }

  get attached(): boolean {
    return this.heap.attached;
  }

  cstring(ptr: number): string {
    return this.heap.cstring(ptr);
  }

  static ours(p: string): boolean {
    return isHostPath(p);
  }

  file(fd: number): OpenFile | undefined {
    return fd >= FD_BASE ? this.files.get(fd) : undefined;
  }

  stats(): HostFileStats {
    let heldBytes = 0;
    let error: string | undefined;
    for (const h of this.held.values()) {
      heldBytes += h.bytes;
      error ??= h.holding ? h.error : undefined;
    }
    return { heldBytes, ...(error ? { error } : {}), open: this.files.size };
  }

  // ---- syscalls (negative errno for __syscall_*, positive for the WASI fd_* ones) ----

  open(pathPtr: number, flags: number, varargs: number): number {
    const p = this.heap.cstring(pathPtr);
    try {
      const mode = varargs ? this.heap.dv().getInt32(varargs, true) : 0;
      const real = realPath(p);
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
    if (held?.holding) this.drainFile(file, held);
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
    return held?.holding ? held : undefined;
  }

  /** What is held for `file` after trying to write it first (undefined once the disk took it all). */
  private drainedFor(file: OpenFile): HeldWrites | undefined {
    const held = this.heldFor(file);
    if (!held) return undefined;
    this.drainFile(file, held);
    return this.heldFor(file);
  }

  /** The file's size as SQLite sees it. */
  size(file: OpenFile): number {
    return this.heldFor(file)?.size ?? fs.fstatSync(file.fd).size;
  }

  read(file: OpenFile, iov: number, count: number, resultPtr: number): number {
    try {
      let total = 0;
      for (let i = 0; i < count; i++) {
        const base = this.heap.dv().getUint32(iov + i * 8, true);
        const length = this.heap.dv().getUint32(iov + i * 8 + 4, true);
        const got = this.readAt(file, base, length, file.position);
        file.position += got;
        total += got;
        if (got < length) break;
      }
      this.heap.dv().setUint32(resultPtr, total, true);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }

  private readAt(file: OpenFile, base: number, length: number, position: number): number {
    const held = this.heldFor(file);
    if (!held) return readFully(file.fd, this.heap.u8(), base, length, position);
    // The disk's bytes, then every held write over them in order: what SQLite wrote, as it would read it back.
    const window = this.heap.u8().subarray(base, base + length);
    window.fill(0);
    readFully(file.fd, this.heap.u8(), base, length, position);
    return held.overlay(window, position, length);
  }

  write(file: OpenFile, iov: number, count: number, resultPtr: number): number {
    try {
      let total = 0;
      for (let i = 0; i < count; i++) {
        const base = this.heap.dv().getUint32(iov + i * 8, true);
        const length = this.heap.dv().getUint32(iov + i * 8 + 4, true);
        const position = file.flags & O.APPEND ? this.size(file) : file.position;
        const errno = this.writeAt(file, this.heap.u8().subarray(base, base + length), position);
        if (errno !== 0) {
          if (total > 0) break;
          return errno;
        }
        file.position = position + length;
        total += length;
      }
      this.heap.dv().setUint32(resultPtr, total, true);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }

  private writeAt(file: OpenFile, src: Uint8Array, position: number): number {
    let held = this.drainedFor(file);
    let done = 0;
    if (!held) {
      try {
        const wfd = this.writer(file);
        while (done < src.length) done += fs.writeSync(wfd, src, done, src.length - done, position + done);
        return 0;
      } catch (error) {
        if (!isHoldable(error)) return errnoOf(error);
        held = this.startHolding(file, error);
      }
    }
    return held.holdWrite(src, done, position, this.maxHeldBytes);
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
    let held = this.drainedFor(file);
    if (!held) {
      try {
        fs.ftruncateSync(this.writer(file), size);
        return 0;
      } catch (error) {
        if (!isHoldable(error)) return -errnoOf(error);
        held = this.startHolding(file, error);
      }
    }
    held.holdTruncate(size);
    return 0;
  }

  sync(file: OpenFile): number {
    // Still held after trying: the disk holds a prefix of SQLite's writes, which is a state it recovers from (see the top).
    if (this.drainedFor(file)) return 0;
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

  private drainFile(file: OpenFile, held: HeldWrites): void {
    held.drain(() => this.writer(file));
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
      this.heap.dv().setBigInt64(resultPtr, BigInt(position), true);
      return 0;
    } catch (error) {
      return errnoOf(error);
    }
  }

  fstat(file: OpenFile, buf: number): number {
    try {
      const held = this.heldFor(file);
      return this.heap.writeStat(buf, fs.fstatSync(file.fd, { bigint: true }), held?.size);
    } catch (error) {
      return -errnoOf(error);
    }
  }

  statPath(p: string, buf: number, follow: boolean): number {
    return statPath(this.heap, p, buf, follow, (real) => {
      const held = this.held.get(real);
      return held?.holding ? held.size : undefined;
    });
  }

  fdstat(buf: number): number {
    return this.heap.writeFdstat(buf);
  }

  fcntl(file: OpenFile, cmd: number, varargs: number): number {
    return fcntl(this.heap, file.flags, cmd, varargs);
  }

  access(p: string, mode: number): number {
    return accessPath(p, mode);
  }

  unlink(p: string, flags: number): number {
    return unlinkPath(p, flags);
  }

  readlink(p: string, buf: number, size: number): number {
    return readlinkPath(this.heap, p, buf, size);
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

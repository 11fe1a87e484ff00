/**
 * sql.js keeps every database inside its own process memory (Emscripten's MEMFS), which is why a 1M-entry index
 * cost ~400 MiB of heap and every snapshot copied it twice more. The index instead lives in a real file: the few
 * file syscalls SQLite's unix VFS makes are answered for paths under HOST_ROOT by node:fs, read and written straight
 * between the file and the WASM heap. SQLite then keeps only its page cache in memory and does its own crash-safe
 * writing (WAL, see index-db.ts).
 *
 * How: sql.js's Emscripten glue lets the embedder instantiate the WASM module itself (`instantiateWasm`), handing
 * over the import object. The file syscalls in it are wrapped: a call for one of our paths or descriptors is
 * answered here, anything else goes to the original (sql.js's own in-memory files). The import names are minified
 * per build, so the build is recognised by a fingerprint of the wrapped functions (sql.js is pinned in
 * package.json); another build is refused with a clear error rather than misread.
 *
 * A disk that refuses writes (full, read-only) must not stop the index: the history stays listable and searchable
 * while the logs wait in memory (segments/segment-log.ts). A write that fails so is kept in memory, in order, and
 * reads see it; each later call tries to put what is held onto the disk first, in the same order. The file on disk
 * is therefore always a prefix of the writes SQLite made, the same state a crash at that moment would leave, which
 * SQLite recovers from; an fsync while writes are held answers success for that reason. Past `maxHeldBytes` the
 * error reaches SQLite (the insert fails, the store warns, a reopen replays the logs).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { HostFiles, toHostPath, type HostFileStats, type OpenFile, type WasmMemory } from './host-file-ops.js';

export { HOST_ROOT, type HostFileStats } from './host-file-ops.js';

/** The wrapped imports of sql.js 1.17.0's release build (dist/sql-wasm.js), by their minified names. */
const SYSCALLS = {
  openat: 'x', close: 'e', read: 't', write: 'q', seek: 'E', sync: 'K', fdstat: 'm', ftruncate: 'J', fstat: 'g',
  stat: 'N', lstat: 'M', fstatat: 'L', access: 'D', unlinkat: 'o', fcntl: 'b', fchmod: 'j', fchown: 'h', readlinkat: 's',
  chmod: 'i', mkdirat: 'C', rmdir: 'r', utimensat: 'n',
} as const;
const FINGERPRINT = 'fd3eccde42ab0fae540ff88c5e528c81418943d8cbc2ad80a2aef3e8b9cc0866';
const FINGERPRINT_ORDER: readonly string[] = ['x', 'e', 't', 'q', 'E', 'K', 'm', 'J', 'g', 'N', 'M', 'L', 'D', 'o', 'b', 'j', 'h', 's', 'i', 'C', 'r', 'n'];

export interface HostFileOptions {
  /** Bytes of refused writes kept in memory before the error reaches SQLite. Default 64 MiB. */
  maxHeldBytes?: number;
}

export interface HostSqlJs {
  SQL: SqlJsStatic;
  /** The path sql.js must be given for a real file (made absolute, symlinks resolved for its directory). */
  hostPath(file: string): string;
  stats(): HostFileStats;
  /** Tries to write what is held now (the worker calls it now and then while the disk is failing). */
  drain(): void;
  /** Closes the write descriptors until the next write (after each batch of work). */
  release(): void;
}

/** The few WebAssembly APIs used here (this project's Node typings do not declare the global). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Instance: new (module: object, imports: unknown) => { exports: Record<string, unknown> };
  Memory: abstract new (...args: never[]) => WasmMemory;
}
const Wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

type Fn = (...args: never[]) => unknown;

/** ENOSYS in Emscripten's numbering. */
const E_NOSYS = 52;

function fingerprint(env: Record<string, unknown>): string {
  const hash = createHash('sha256');
  for (const key of FINGERPRINT_ORDER) hash.update(`${key}:${String(env[key])}\n`);
  return hash.digest('hex');
}

/** The bridged syscalls: ours when the path or descriptor is, sql.js's own otherwise. */
function bridge(env: Record<string, Fn>, host: HostFiles): void {
  const original = { ...env } as Record<string, (...args: unknown[]) => number>;
  const S = SYSCALLS;
  const byFd = (key: string, ours: (file: OpenFile, ...rest: never[]) => number) => {
    env[key] = ((fd: number, ...rest: never[]) => {
      const file = host.file(fd);
      return file ? ours(file, ...rest) : original[key]!(fd, ...rest);
    });
  };
  const byPath = (key: string, at: number, ours: (p: string, ...args: number[]) => number) => {
    env[key] = ((...args: number[]) => {
      const p = host.cstring(args[at]!);
      return HostFiles.ours(p) ? ours(p, ...args) : original[key]!(...args);
    });
  };
  byPath(S.openat, 1, (_p, _dirfd, pathPtr, flags, varargs) => host.open(pathPtr, flags, varargs));
  env[S.close] = ((fd: number) => {
    const file = host.file(fd);
    return file ? host.close(file, fd) : original[S.close]!(fd);
  });
  byFd(S.read, (file, iov: number, count: number, result: number) => host.read(file, iov, count, result));
  byFd(S.write, (file, iov: number, count: number, result: number) => host.write(file, iov, count, result));
  byFd(S.seek, (file, offset: bigint, whence: number, result: number) => host.seek(file, offset, whence, result));
  byFd(S.sync, (file) => host.sync(file));
  byFd(S.fdstat, (_file, buf: number) => host.fdstat(buf));
  byFd(S.ftruncate, (file, length: bigint) => host.truncate(file, Number(length)));
  byFd(S.fstat, (file, buf: number) => host.fstat(file, buf));
  byFd(S.fcntl, (file, cmd: number, varargs: number) => host.fcntl(file, cmd, varargs));
  byFd(S.fchmod, () => 0);
  byFd(S.fchown, () => 0);
  byPath(S.stat, 0, (p, _ptr, buf) => host.statPath(p, buf, true));
  byPath(S.lstat, 0, (p, _ptr, buf) => host.statPath(p, buf, false));
  byPath(S.fstatat, 1, (p, _dirfd, _ptr, buf, flags) => host.statPath(p, buf, !(flags & 0x100)));
  byPath(S.access, 1, (p, _dirfd, _ptr, mode) => host.access(p, mode));
  byPath(S.unlinkat, 1, (p, _dirfd, _ptr, flags) => host.unlink(p, flags));
  byPath(S.readlinkat, 1, (p, _dirfd, _ptr, buf, size) => host.readlink(p, buf, size));
  // SQLite's unix VFS does not call these on a database in WAL mode; refuse rather than pretend.
  byPath(S.chmod, 0, () => -E_NOSYS);
  byPath(S.mkdirat, 1, () => -E_NOSYS);
  byPath(S.rmdir, 0, () => -E_NOSYS);
  byPath(S.utimensat, 1, () => -E_NOSYS);
}

const require = createRequire(import.meta.url);

let loading: Promise<HostSqlJs> | undefined;

/**
 * sql.js with the host file bridge. One per thread (sql.js keeps one module per thread): only the index worker
 * loads it, and never the plain loader (sqljs-loader.ts) in the same thread.
 */
export function loadHostSqlJs(options: HostFileOptions = {}): Promise<HostSqlJs> {
  loading ??= load(options).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(options: HostFileOptions): Promise<HostSqlJs> {
  const host = new HostFiles(options.maxHeldBytes ?? 64 * 1024 * 1024);
  const initSqlJs = (await import('sql.js')).default;
  const wasmFile = path.join(path.dirname(require.resolve('sql.js')), 'sql-wasm.wasm');
  const module = await Wasm.compile(await fs.promises.readFile(wasmFile));
  const SQL = await initSqlJs({
    // Synchronous, so that a refusal rejects initSqlJs instead of leaving it pending.
    instantiateWasm(imports, done) {
      const env = (imports as Record<string, Record<string, Fn>>).a;
      if (!env || fingerprint(env) !== FINGERPRINT) {
        throw new Error('this sql.js build is not the one the index was built for (host file bridge): keep sql.js at the version package.json pins');
      }
      bridge(env, host);
      const instance = new Wasm.Instance(module, imports);
      const memory = Object.values(instance.exports).find((x): x is WasmMemory => x instanceof Wasm.Memory);
      if (!memory) throw new Error('sql.js exports no memory');
      host.attach(memory);
      done(instance);
      return instance.exports as never;
    },
  });
  // sql.js makes one module per thread: one made earlier without the bridge would put "/host" files in memory.
  if (!host.attached) throw new Error('sql.js was already loaded in this thread without the host file bridge (load the index in its own worker)');
  return {
    SQL,
    hostPath: (file) => {
      const abs = path.resolve(file);
      const dir = fs.realpathSync(path.dirname(abs));
      return toHostPath(path.join(dir, path.basename(abs)));
    },
    stats: () => host.stats(),
    drain: () => host.drain(),
    release: () => host.release(),
  };
}

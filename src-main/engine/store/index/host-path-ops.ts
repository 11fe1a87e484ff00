/**
 * The host file bridge's calls that name a path, not a descriptor (host-file-ops.ts answers them through these),
 * and fcntl, which SQLite only uses for flags and locks nobody else takes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { E_INVAL, errnoOf, realPath, toHostPath, type WasmHeap } from './host-abi.js';

/** `heldSize`: the size SQLite sees when writes to that file are held (see held-writes.ts). */
export function statPath(heap: WasmHeap, p: string, buf: number, follow: boolean, heldSize: (real: string) => number | undefined): number {
  try {
    const real = realPath(p);
    const st = follow ? fs.statSync(real, { bigint: true }) : fs.lstatSync(real, { bigint: true });
    return heap.writeStat(buf, st, heldSize(real));
  } catch (error) {
    return -errnoOf(error);
  }
}

export function accessPath(p: string, mode: number): number {
  try {
    fs.accessSync(realPath(p), mode);
    return 0;
  } catch (error) {
    return -errnoOf(error);
  }
}

export function unlinkPath(p: string, flags: number): number {
  try {
    const real = realPath(p);
    if (flags & 0x200) fs.rmdirSync(real);
    else fs.unlinkSync(real);
    return 0;
  } catch (error) {
    return -errnoOf(error);
  }
}

export function readlinkPath(heap: WasmHeap, p: string, buf: number, size: number): number {
  try {
    let target = fs.readlinkSync(realPath(p));
    if (path.isAbsolute(target)) target = toHostPath(target);
    const bytes = Buffer.from(target, 'utf8');
    const n = Math.min(size, bytes.length);
    heap.u8().set(bytes.subarray(0, n), buf);
    return n;
  } catch (error) {
    return -errnoOf(error);
  }
}

export function fcntl(heap: WasmHeap, flags: number, cmd: number, varargs: number): number {
  switch (cmd) {
    case 1: // F_GETFD
    case 2: // F_SETFD
    case 4: // F_SETFL
    case 13: // F_SETLK: one process per data dir (its lock), one connection per index: nothing to arbitrate
    case 14: // F_SETLKW
      return 0;
    case 3: // F_GETFL
      return flags;
    case 12: { // F_GETLK: nobody else holds a lock
      const flock = heap.dv().getInt32(varargs, true);
      heap.dv().setInt16(flock, 2, true); // F_UNLCK
      return 0;
    }
    default:
      return -E_INVAL;
  }
}

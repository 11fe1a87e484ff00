import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * One process per data directory: two stores on one folder would overwrite each other's snapshots.
 *
 * The lock is a listening local socket, not a pid file: the kernel closes it the moment its process dies (kill -9
 * included), and a zombie or a recycled pid cannot hold it. Whoever finds it taken connects and asks the holder
 * who it is. On Linux it is an abstract socket (no file that could be left behind); elsewhere a socket file
 * whose stale leftover is recognised because nobody answers on it; on Windows a named pipe.
 */
export async function lockDataDir(dataDir: string, address = lockAddress(dataDir)): Promise<() => Promise<void>> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const server = await tryListen(address);
    if (server) {
      removeLegacyPidLock(dataDir);
      return () => new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const holder = await askHolder(address);
    if (holder.alive) {
      const who = holder.pid ? `another Traffic Recorder (pid ${holder.pid})` : 'another process';
      throw new Error(`${who} is using the data directory ${dataDir}; stop it or pass another --data-dir`);
    }
    // A socket file left by a process that died: nobody answers on it, so it can go.
    if (isFilesystemSocket(address)) fs.rmSync(address, { force: true });
  }
  throw new Error(`could not lock the data directory ${dataDir}`);
}

/** Unix sockets have a ~107-byte path limit; long data-dir paths use a name derived from the directory instead. */
const MAX_SOCKET_PATH = 100;

export function lockAddress(dataDir: string, platform: NodeJS.Platform = process.platform): string {
  const key = directoryKey(dataDir);
  if (platform === 'win32') return `\\\\.\\pipe\\traffic-recorder-${key}`;
  if (platform === 'linux') return `\0traffic-recorder-${key}`;
  const inDir = path.join(dataDir, 'server.lock.sock');
  return Buffer.byteLength(inDir) <= MAX_SOCKET_PATH ? inDir : path.join(os.tmpdir(), `traffic-recorder-${key}.sock`);
}

/**
 * The directory's real path, so a symlinked or differently spelled path to the same folder meets the same lock.
 * Not its inode: a deleted folder's inode number is soon reused by a new, unrelated one.
 */
function directoryKey(dataDir: string): string {
  let identity: string;
  try {
    identity = fs.realpathSync(dataDir);
  } catch {
    identity = path.resolve(dataDir);
  }
  return createHash('sha256').update(identity).digest('hex').slice(0, 32);
}

function isFilesystemSocket(address: string): boolean {
  return !address.startsWith('\0') && !address.startsWith('\\\\');
}

function tryListen(address: string): Promise<net.Server | null> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.end(`${JSON.stringify({ app: 'traffic-recorder', pid: process.pid })}\n`);
    });
    server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(null) : reject(e)));
    server.listen({ path: address, exclusive: true }, () => {
      // The lock must never keep a process alive that is otherwise done.
      server.unref();
      resolve(server);
    });
  });
}

const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Connect to the lock: a refused connection means a dead holder; an accepted one, a live one (maybe busy). */
function askHolder(address: string): Promise<{ alive: boolean; pid?: number }> {
  return new Promise((resolve) => {
    const socket = net.connect({ path: address });
    let data = '';
    let connected = false;
    const done = (result: { alive: boolean; pid?: number }) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    // A holder too busy to answer still holds the socket: alive, pid unknown.
    const timer = setTimeout(() => done({ alive: connected }), HANDSHAKE_TIMEOUT_MS);
    socket.on('connect', () => (connected = true));
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('utf8');
      if (data.length > 4096) done({ alive: true });
    });
    socket.on('end', () => done({ alive: true, ...parsePid(data) }));
    socket.on('error', () => done({ alive: connected }));
  });
}

function parsePid(line: string): { pid?: number } {
  try {
    const pid = (JSON.parse(line) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) ? { pid } : {};
  } catch {
    return {};
  }
}

/** Earlier versions locked with a pid file, which goes stale; it means nothing now and would only mislead. */
function removeLegacyPidLock(dataDir: string): void {
  fs.rmSync(path.join(dataDir, 'server.lock'), { force: true });
}

/**
 * The data-directory lock (issue 8, point 23) with real `serve` processes: a lock cannot go stale after kill -9,
 * whatever pid an old lock file names, and a live server still keeps a second one out.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServe, type ServeProcess } from '../test-support/child.js';
import { tempDir } from '../test-support/engine.js';
import { lockAddress, lockDataDir } from './data-dir-lock.js';

const TOKEN = 'lock-test-token-0123456789';
const running: ServeProcess[] = [];
const dirs: string[] = [];

async function serve(dataDir: string): Promise<ServeProcess> {
  const child = await spawnServe(['--data-dir', dataDir], { TRAFFIC_RECORDER_TOKEN: TOKEN, TRAFFIC_RECORDER_LOOPBACK_ONLY: '1' });
  running.push(child);
  return child;
}

async function freshDir(): Promise<string> {
  const dir = await tempDir('tr-lock-');
  dirs.push(dir);
  return dir;
}

async function sessions(server: ServeProcess): Promise<number> {
  const res = await fetch(`${server.url}/api/v1/recorder/sessions`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { total: number }).total;
}

afterEach(async () => {
  for (const child of running.splice(0)) if (child.child.exitCode === null && child.child.signalCode === null) await child.kill9();
  for (const dir of dirs.splice(0)) await fs.rm(dir, { recursive: true, force: true });
});

describe('the data-directory lock cannot go stale', () => {
  it('after kill -9, a lock file naming a live unrelated pid (this test, pid 1) does not keep the next start out', async () => {
    const dataDir = await freshDir();
    const first = await serve(dataDir);
    await first.kill9();
    for (const livePid of [process.pid, 1]) {
      // What the old pid-file lock would have left, pointing at a process that is alive but not ours.
      await fs.writeFile(path.join(dataDir, 'server.lock'), `${livePid}\n`);
      const next = await serve(dataDir);
      expect(await sessions(next)).toBe(0);
      await next.kill9();
    }
  }, 90_000);

  it('a second live server on the same directory is refused, naming the first one', async () => {
    const dataDir = await freshDir();
    const first = await serve(dataDir);
    const second = serve(dataDir);
    await expect(second).rejects.toThrow(new RegExp(`another Traffic Recorder \\(pid ${first.child.pid}\\) is using the data directory`));
    // The refused start disturbed nothing.
    expect(await sessions(first)).toBe(0);
    expect(await first.stop()).toBe(0);
    // A clean stop releases the lock at once.
    const third = await serve(dataDir);
    expect(await third.stop()).toBe(0);
  }, 90_000);

  it('the same directory reached through a symlink meets the same lock', async () => {
    const dataDir = await freshDir();
    const link = path.join(await freshDir(), 'link');
    await fs.symlink(dataDir, link);
    const first = await serve(dataDir);
    await expect(serve(link)).rejects.toThrow(/is using the data directory/);
    await first.kill9();
  }, 90_000);
});

describe('lockDataDir in process', () => {
  it('refuses a second holder, releases on unlock', async () => {
    const dataDir = await freshDir();
    const unlock = await lockDataDir(dataDir);
    await expect(lockDataDir(dataDir)).rejects.toThrow(`another Traffic Recorder (pid ${process.pid}) is using the data directory ${dataDir}`);
    await unlock();
    const again = await lockDataDir(dataDir);
    await again();
  });

  it('a socket file left by a killed process (platforms without abstract sockets) is taken over', { timeout: 30_000 }, async () => {
    const dataDir = await freshDir();
    const socketFile = path.join(dataDir, 'server.lock.sock');
    const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(socketFile)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    await expect(lockDataDir(dataDir, socketFile)).rejects.toThrow(/another process is using the data directory/);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect((await fs.stat(socketFile)).isSocket()).toBe(true);
    const unlock = await lockDataDir(dataDir, socketFile);
    await expect(lockDataDir(dataDir, socketFile)).rejects.toThrow(`pid ${process.pid}`);
    await unlock();
  });

  it('keeps socket paths within the unix limit for long data-dir paths', async () => {
    const deep = path.join(await freshDir(), 'a'.repeat(60), 'b'.repeat(60));
    await fs.mkdir(deep, { recursive: true });
    for (const platform of ['darwin', 'freebsd'] as const) {
      const address = lockAddress(deep, platform);
      expect(Buffer.byteLength(address)).toBeLessThanOrEqual(107);
    }
    expect(lockAddress(deep, 'linux').startsWith('\0')).toBe(true);
    expect(lockAddress(deep, 'win32')).toMatch(/^\\\\\.\\pipe\\traffic-recorder-[0-9a-f]{32}$/);
    const short = await freshDir();
    expect(lockAddress(short, 'darwin')).toBe(path.join(short, 'server.lock.sock'));
  });
});

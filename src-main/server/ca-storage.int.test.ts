/**
 * `POST /ca/generate` where the CA cannot be written (issue 8, point 24): a clear error naming the path and the
 * reason, no 500 and no stack trace in the log. Tests run as root, which chmod does not stop, so the failures
 * are real ones root cannot write through: a file where the CA folder goes (ENOTDIR) and, where this machine
 * lets us mount, a data directory remounted read-only under the running server (EROFS).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../test-support/engine.js';
import { startTestServer, type TestServer } from '../test-support/server.js';

let errors: { mock: { calls: unknown[][] }; mockRestore(): void };
beforeEach(() => {
  errors = vi.spyOn(console, 'error');
});
afterEach(() => {
  errors.mockRestore();
});

function loggedStack(): boolean {
  return errors.mock.calls.some((args: unknown[]) => args.some((a: unknown) => a instanceof Error || /\n\s+at /.test(String(a))));
}

describe('the CA path is not writable', () => {
  let server: TestServer;
  afterEach(async () => server?.close());

  it('a file where the CA folder goes: 507 naming the path and the reason; fixed, it generates', async () => {
    server = await startTestServer();
    const caDir = path.join(server.headless.dataDir, 'ca');
    await fs.writeFile(caDir, 'not a folder');
    const res = await server.call('POST', '/ca/generate');
    expect(res.status).toBe(507);
    expect(res.json).toEqual({ code: 'storage_failed', error: `cannot write the CA to ${caDir}: part of the path is not a directory (ENOTDIR)` });
    // A MITM session needs the CA too: the same clear refusal, not an internal error.
    const mitm = await server.call('POST', '/start', { mode: 'forward', mitm: { enabled: true } });
    expect(mitm.status).toBe(507);
    expect(mitm.json.code).toBe('storage_failed');
    const status = await server.call('GET', '/ca/status');
    expect(status.json).toEqual({ exists: false });
    expect(loggedStack()).toBe(false);

    await fs.rm(caDir);
    const again = await server.call('POST', '/ca/generate');
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ created: true, ca: { exists: true } });
  }, 60_000);
});

function canMount(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!canMount())('the data directory turns read-only under a running server', () => {
  let mountPoint: string | undefined;
  let server: TestServer | undefined;
  afterEach(async () => {
    if (mountPoint) execFileSync('mount', ['-o', 'remount,rw', mountPoint]);
    await server?.close();
    if (mountPoint) execFileSync('umount', [mountPoint]);
    if (mountPoint) await fs.rm(mountPoint, { recursive: true, force: true });
    mountPoint = undefined;
    server = undefined;
  });

  it('answers 507 "read-only file system (EROFS)" with no stack trace', async (ctx) => {
    const dir = await tempDir('tr-rofs-');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    } catch {
      await fs.rm(dir, { recursive: true, force: true });
      ctx.skip();
      return;
    }
    mountPoint = dir;
    server = await startTestServer({ dataDir: dir });
    execFileSync('mount', ['-o', 'remount,ro', dir]);
    const res = await server.call('POST', '/ca/generate');
    expect(res.status).toBe(507);
    expect(res.json).toEqual({ code: 'storage_failed', error: `cannot write the CA to ${path.join(dir, 'ca')}: read-only file system (EROFS)` });
    expect(loggedStack()).toBe(false);
  }, 60_000);
});

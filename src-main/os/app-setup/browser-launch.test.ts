/**
 * "Open a browser" (issue 8, point 26) with fake browsers: real executables this test writes, one that dies at
 * once with a message on stderr and one that stays up. One browser per session, a cap over all sessions, a
 * browser that dies at once is a failure carrying its stderr, and shutdown stops them all.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/engine.js';
import { startTestServer, type TestServer } from '../../test-support/server.js';
import { BrowserLauncher } from './browser-launch.js';

let bin: string;
let staysUp: string;
let diesAtOnce: string;

async function script(name: string, body: string): Promise<string> {
  const file = path.join(bin, name);
  await fs.writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return file;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function profileDirs(): Promise<string[]> {
  return (await fs.readdir(os.tmpdir())).filter((name) => name.startsWith('traffic-recorder-browser-'));
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(() => true, () => false);
}

beforeAll(async () => {
  bin = await tempDir('tr-fake-browser-');
  // Records its arguments where the test can see them, then stays up like a browser window.
  staysUp = await script('stays-up', 'echo "$@" > "$0.args"\nexec sleep 600');
  diesAtOnce = await script('dies-at-once', 'echo "Missing X server or \\$DISPLAY" >&2\nexit 3');
});
afterAll(async () => {
  await fs.rm(bin, { recursive: true, force: true });
});

describe('POST /:id/open-browser with a fake browser', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    delete process.env.TRAFFIC_RECORDER_BROWSER;
    await server?.close();
    server = undefined;
  });

  async function forwardSession(): Promise<string> {
    const res = await server!.call('POST', '/start', { mode: 'forward' });
    expect(res.status).toBe(201);
    return res.json.session.id;
  }

  it('one browser per session: asking again hands back the open one; shutdown stops them all', async () => {
    process.env.TRAFFIC_RECORDER_BROWSER = staysUp;
    server = await startTestServer();
    const [a, b] = [await forwardSession(), await forwardSession()];
    const first = await server.call('POST', `/${a}/open-browser`, { url: 'http://127.0.0.1/' });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ executable: staysUp, reused: false, pid: expect.any(Number) });
    expect(alive(first.json.pid)).toBe(true);
    expect(await fs.readFile(`${staysUp}.args`, 'utf8')).toContain(`--user-data-dir=${first.json.profileDir}`);
    const again = await server.call('POST', `/${a}/open-browser`, {});
    expect(again.json).toMatchObject({ pid: first.json.pid, reused: true });
    const other = await server.call('POST', `/${b}/open-browser`, {});
    expect(other.json.reused).toBe(false);
    expect(other.json.pid).not.toBe(first.json.pid);

    await server.close();
    server = undefined;
    expect(alive(first.json.pid)).toBe(false);
    expect(alive(other.json.pid)).toBe(false);
    await expect.poll(() => exists(first.json.profileDir)).toBe(false);
  }, 60_000);

  it('a browser that exits at once is a failure with its stderr, and leaves no profile behind', async () => {
    process.env.TRAFFIC_RECORDER_BROWSER = diesAtOnce;
    server = await startTestServer();
    const id = await forwardSession();
    const before = await profileDirs();
    const res = await server.call('POST', `/${id}/open-browser`, { headless: true });
    expect(res.status).toBe(502);
    expect(res.json).toEqual({ code: 'launch_failed', error: `the browser ${diesAtOnce} exited at once (code 3): Missing X server or $DISPLAY` });
    expect((await profileDirs()).filter((d) => !before.includes(d))).toEqual([]);
  }, 60_000);
});

describe('BrowserLauncher', () => {
  it('caps the browsers open at once, and frees a slot when one exits', async () => {
    const launcher = new BrowserLauncher({ max: 2 });
    try {
      const one = await launcher.launch('s1', staysUp, (dir) => [`--user-data-dir=${dir}`]);
      await launcher.launch('s2', staysUp, (dir) => [`--user-data-dir=${dir}`]);
      await expect(launcher.launch('s3', staysUp, () => [])).rejects.toMatchObject({ code: 'limit_reached', message: 'at most 2 browsers may be open at once; close one first' });
      process.kill(one.pid, 'SIGTERM');
      await expect.poll(async () => (await launcher.launch('s3', staysUp, () => []).then(() => 'started', () => 'refused'))).toBe('started');
    } finally {
      await launcher.stopAll();
    }
  }, 30_000);

  it('a missing executable is a clear error', async () => {
    const launcher = new BrowserLauncher();
    await expect(launcher.launch('s', path.join(bin, 'nope'), () => [])).rejects.toMatchObject({
      code: 'not_supported',
      message: `could not start the browser ${path.join(bin, 'nope')}: ENOENT`,
    });
  });
});

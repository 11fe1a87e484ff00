// Real GNOME proxy toggle through gsettings + dconf on a private session bus and a temp HOME:
// the machine's own settings are never touched.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasTool } from '../int-test-env.js';
import { execFileRunner, type CommandRunner } from '../runner.js';
import { createSystemProxy, stateFilePath } from './index.js';

const DCONF_MODULE = ['/usr/lib/x86_64-linux-gnu/gio/modules/libdconfsettings.so', '/usr/lib/aarch64-linux-gnu/gio/modules/libdconfsettings.so', '/usr/lib64/gio/modules/libdconfsettings.so', '/usr/lib/gio/modules/libdconfsettings.so'];
const skip = process.platform !== 'linux' ? `needs Linux (this is ${process.platform})`
  : !hasTool('gsettings') || !hasTool('dbus-daemon') ? 'missing gsettings or dbus-daemon (libglib2.0-bin, dbus)'
    : !DCONF_MODULE.some((p) => existsSync(p)) ? 'missing the dconf GSettings backend (dconf-gsettings-backend)'
      : null;
if (skip) console.log(`[skip] GNOME system-proxy integration: ${skip}`);

let tmp: string;
let busPid: number | undefined;
let env: Record<string, string>;
let runner: CommandRunner;

const gget = (schema: string, key: string) =>
  execFileSync('gsettings', ['get', schema, key], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
const gset = (schema: string, key: string, value: string) =>
  execFileSync('gsettings', ['set', schema, key, value], { env: { ...process.env, ...env } });
const snapshot = () => ({
  mode: gget('org.gnome.system.proxy', 'mode'),
  ignore: gget('org.gnome.system.proxy', 'ignore-hosts'),
  httpHost: gget('org.gnome.system.proxy.http', 'host'),
  httpPort: gget('org.gnome.system.proxy.http', 'port'),
  httpsHost: gget('org.gnome.system.proxy.https', 'host'),
  httpsPort: gget('org.gnome.system.proxy.https', 'port'),
});

describe.skipIf(!!skip)('GNOME system proxy (real gsettings/dconf)', () => {
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-gnome-int-'));
    const runtime = path.join(tmp, 'run');
    await fs.mkdir(runtime, { mode: 0o700 });
    const base = { HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'config'), XDG_RUNTIME_DIR: runtime, GSETTINGS_BACKEND: 'dconf' };
    const out = await new Promise<string>((resolve, reject) => {
      execFile('dbus-daemon', ['--session', '--fork', '--nosyslog', '--print-address=1', '--print-pid=1'],
        { env: { ...process.env, ...base }, encoding: 'utf8' }, (err: Error | null, stdout: string) => (err ? reject(err) : resolve(stdout)));
    });
    const [address, pid] = out.trim().split('\n');
    busPid = Number(pid);
    env = { ...base, DBUS_SESSION_BUS_ADDRESS: address! };
    runner = (cmd) => execFileRunner({ ...cmd, env: { ...cmd.env, ...env } });
  });

  afterAll(async () => {
    if (busPid) {
      try { process.kill(busPid); } catch { /* already gone */ }
    }
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  });

  it('on() sets manual mode + host/port/ignore-hosts for real; off() restores the exact previous values', async () => {
    gset('org.gnome.system.proxy', 'mode', "'auto'");
    gset('org.gnome.system.proxy', 'ignore-hosts', "['localhost', 'intranet']");
    gset('org.gnome.system.proxy.http', 'host', "'corp-proxy'");
    gset('org.gnome.system.proxy.http', 'port', '3128');
    const before = snapshot();
    expect(before).toMatchObject({ mode: "'auto'", httpHost: "'corp-proxy'", httpPort: '3128' });

    const dataDir = path.join(tmp, 'data');
    const sp = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner });
    await sp.on({ host: '127.0.0.1', port: 8085 });
    expect(snapshot()).toEqual({
      mode: "'manual'", ignore: "['localhost', '127.0.0.1', '::1']",
      httpHost: "'127.0.0.1'", httpPort: '8085', httpsHost: "'127.0.0.1'", httpsPort: '8085',
    });
    expect(statSync(stateFilePath(dataDir)).mode & 0o777).toBe(0o600);
    expect(await sp.status()).toMatchObject({ ours: true, pendingRestore: true, current: { enabled: true } });
    expect(existsSync(path.join(tmp, 'config', 'dconf', 'user'))).toBe(true); // really dconf, not the memory backend

    expect((await sp.off()).restored).toBe(true);
    expect(snapshot()).toEqual(before);
    expect(existsSync(stateFilePath(dataDir))).toBe(false);
  });

  it('restores "mode none" and recovers after a simulated crash', async () => {
    execFileSync('gsettings', ['reset-recursively', 'org.gnome.system.proxy'], { env: { ...process.env, ...env } });
    const before = snapshot();
    expect(before.mode).toBe("'none'");
    const dataDir = path.join(tmp, 'data2');
    await (await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner })).on({ host: '127.0.0.1', port: 9090 });
    expect(snapshot().mode).toBe("'manual'");
    // The app "crashed"; the next start recovers from the saved file.
    const restarted = await createSystemProxy(dataDir, { platform: 'linux', desktop: 'gnome', runner });
    expect(await restarted.recoverAfterCrash()).toBe(true);
    expect(snapshot()).toEqual(before);
    expect(await restarted.recoverAfterCrash()).toBe(false);
  });
});

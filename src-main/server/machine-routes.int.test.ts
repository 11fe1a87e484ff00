/**
 * CA, trust store and system proxy through the REST API. The real-install tests change this machine (Linux, root):
 * they skip with a printed reason elsewhere and always undo what they did.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, promises as fs, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, cleanClientEnv, hasTool, linuxRootSkipReason } from '../os/int-test-env.js';
import { spawnServe } from '../test-support/child.js';
import { tempDir } from '../test-support/engine.js';
import { startTestServer, TEST_TOKEN, type TestServer } from '../test-support/server.js';
import { startUpstream, type Upstream } from '../test-support/upstream.js';

let server: TestServer;
let upstream: Upstream;
beforeAll(async () => {
  server = await startTestServer();
  upstream = await startUpstream({ https: true });
});
afterAll(async () => {
  await server?.close();
  await upstream?.close();
});

function run(program: string, args: string[], env: NodeJS.ProcessEnv, timeout = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(program, args, { env, timeout, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('the certificate authority over REST', () => {
  it('is generated once, downloadable as PEM, and its key never leaves', async () => {
    expect((await server.call('GET', '/ca/status')).json).toEqual({ exists: false });
    const missing = await server.call('GET', '/ca/download');
    expect(missing.status).toBe(404);
    expect(missing.json.error).toMatch(/ca\/generate/);

    const first = await server.call('POST', '/ca/generate');
    expect(first.json).toMatchObject({ created: true, ca: { exists: true, keyAlgorithm: 'ECDSA P-256', commonName: expect.any(String) } });
    const years = (Date.parse(first.json.ca.notAfter) - Date.parse(first.json.ca.notBefore)) / (365.25 * 86_400_000);
    expect(Math.round(years)).toBe(10);
    const second = await server.call('POST', '/ca/generate');
    expect(second.json.created).toBe(false);
    expect(second.json.ca.sha256).toBe(first.json.ca.sha256);

    const pem = await server.call('GET', '/ca/download');
    expect(pem.text).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const keyFile = path.join(server.headless.dataDir, 'ca', 'ca-key.pem');
    expect((statSync(keyFile).mode & 0o777).toString(8)).toBe('600');
    for (const res of [first, second, pem, await server.call('GET', '/ca/status')]) expect(res.text).not.toMatch(/PRIVATE KEY/);
  });

  it('plans trust-store changes in a dry run without changing anything', async () => {
    const plan = await server.call('POST', '/ca/trust/install', { dryRun: true, scope: 'user', nssDbs: ['/nonexistent/nssdb'] });
    expect(plan.status).toBe(200);
    expect(plan.json).toMatchObject({ op: 'install', dryRun: true });
    const bad = await server.call('POST', '/ca/trust/install', { scope: 'everyone' });
    expect(bad.status).toBe(400);
    expect(bad.json.field).toBe('scope');
    expect((await server.call('POST', '/ca/trust/install', { nssDbs: ['relative/dir'] })).json.field).toBe('nssDbs.0');
  });

  it('gives a session its copyable setup', async () => {
    const { json } = await server.call('POST', '/start', { mode: 'forward', mitm: { enabled: true } });
    const setup = await server.call('GET', `/${json.session.id}/setup`);
    expect(setup.json.environment).toMatchObject({ HTTP_PROXY: json.session.proxyUrl, HTTPS_PROXY: json.session.proxyUrl });
    expect(setup.json.environment.NODE_EXTRA_CA_CERTS).toMatch(/ca-cert\.pem$/);
    expect(setup.json.scripts.posix).toContain(`export HTTPS_PROXY=`);
    expect(setup.json.chromium.join(' ')).toMatch(/--ignore-certificate-errors-spki-list=/);
    expect((await server.call('GET', '/nope/setup')).status).toBe(404);
    const reverse = await server.call('POST', '/start', { targetUrl: upstream.url });
    const reverseSetup = await server.call('GET', `/${reverse.json.session.id}/setup`);
    expect(reverseSetup.json.environment).toEqual({});
    expect(reverseSetup.json.curl).toBe(`curl ${reverse.json.session.proxyUrl}/`);
  });

  it('refuses the system proxy for a reverse session', async () => {
    const { json } = await server.call('POST', '/start', { targetUrl: upstream.url });
    const res = await server.call('POST', '/system-proxy/on', { sessionId: json.session.id, dryRun: true });
    expect(res.status).toBe(400);
    expect(res.json.field).toBe('sessionId');
  });
});

const systemSkip = linuxRootSkipReason(['update-ca-certificates', 'curl']);
if (systemSkip) console.log(`[skip] real system trust-store install through REST: ${systemSkip}`);

describe.skipIf(!!systemSkip)('real installs (Linux, root)', () => {
  it('system store: curl with no --cacert trusts the intercepted site after install, not after uninstall', async () => {
    await server.call('POST', '/ca/generate');
    const { json } = await server.call('POST', '/start', { mode: 'forward', mitm: { enabled: true }, ignoreUpstreamCertErrors: true });
    const url = `https://localhost:${upstream.port}/json`;
    const env = cleanClientEnv();
    const curlThrough = () => run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-x', json.session.proxyUrl, url], env);
    expect((await curlThrough()).code).toBe(60);
    try {
      const installed = await server.call('POST', '/ca/trust/install', { scope: 'system' });
      expect(installed.status).toBe(200);
      expect(installed.json.status.installed).toBe(true);
      const trusted = await curlThrough();
      expect(trusted.stdout).toBe('200');
    } finally {
      const removed = await server.call('POST', '/ca/trust/uninstall', { scope: 'system' });
      expect(removed.status).toBe(200);
    }
    expect((await curlThrough()).code).toBe(60);
  });

  const chromiumSkip = !CHROMIUM ? 'Debian chromium not installed' : !hasTool('certutil') ? 'certutil missing (libnss3-tools)' : null;
  if (chromiumSkip) console.log(`[skip] Chromium through the MITM session: ${chromiumSkip}`);
  it.skipIf(!!chromiumSkip)('a fresh NSS database: headless Chromium loads the intercepted page, and not after uninstall', async () => {
    await server.call('POST', '/ca/generate');
    const { json } = await server.call('POST', '/start', { mode: 'forward', mitm: { enabled: true }, ignoreUpstreamCertErrors: true });
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-chromium-home-'));
    const nssdb = path.join(home, '.pki', 'nssdb');
    await fs.mkdir(nssdb, { recursive: true });
    execFileSync('certutil', ['-N', '-d', `sql:${nssdb}`, '--empty-password']);
    const load = () =>
      run(
        CHROMIUM!,
        [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
          '--no-first-run', '--disable-quic', `--user-data-dir=${path.join(home, 'profile')}`,
          `--proxy-server=${json.session.proxyUrl}`, '--proxy-bypass-list=<-loopback>',
          '--dump-dom', `https://localhost:${upstream.port}/json`,
        ],
        cleanClientEnv({ HOME: home }),
        60_000,
      );
    try {
      const before = await load();
      expect(before.stdout).not.toContain('"ok":true');
      const installed = await server.call('POST', '/ca/trust/install', { scope: 'user', nssDbs: [nssdb] });
      expect(installed.status).toBe(200);
      expect(execFileSync('certutil', ['-L', '-d', `sql:${nssdb}`], { encoding: 'utf8' })).toContain('Traffic Recorder');
      const after = await load();
      expect(after.stdout).toContain('"ok":true');
      const removed = await server.call('POST', '/ca/trust/uninstall', { scope: 'user', nssDbs: [nssdb] });
      expect(removed.status).toBe(200);
      expect(execFileSync('certutil', ['-L', '-d', `sql:${nssdb}`], { encoding: 'utf8' })).not.toContain('Traffic Recorder');
    } finally {
      await fs.rm(home, { recursive: true, force: true });
    }
  }, 120_000);
});

const browserSkip = !CHROMIUM ? 'Debian chromium not installed' : null;
if (browserSkip) console.log(`[skip] open a browser through a session: ${browserSkip}`);

describe.skipIf(!!browserSkip)('open a browser through a session', () => {
  it('launches Chromium with an isolated profile, the proxy and the SPKI pin: interception works with no trust change', async () => {
    await server.call('POST', '/ca/generate');
    const { json } = await server.call('POST', '/start', { mode: 'forward', mitm: { enabled: true }, ignoreUpstreamCertErrors: true });
    const url = `https://localhost:${upstream.port}/json?from=browser`;
    const launched = await server.call('POST', `/${json.session.id}/open-browser`, { url, headless: true });
    expect(launched.status).toBe(200);
    expect(launched.json.args).toEqual(expect.arrayContaining([`--proxy-server=${json.session.proxyUrl}`, expect.stringMatching(/^--ignore-certificate-errors-spki-list=/)]));
    // The launched browser's own navigation is recorded, decrypted.
    const deadline = Date.now() + 30_000;
    let entries: any[] = [];
    while (Date.now() < deadline) {
      entries = (await server.call('GET', `/${json.session.id}/entries?bodies=false`)).json.entries;
      if (entries.some((e) => e.request.url === url && e.response?.statusCode === 200)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    try {
      process.kill(launched.json.pid);
    } catch {
      /* already gone */
    }
    expect(entries.find((e) => e.request.url === url)?.response?.statusCode).toBe(200);
    const bad = await server.call('POST', `/${json.session.id}/open-browser`, { url: 'javascript:alert(1)' });
    expect(bad.json.field).toBe('url');
    process.env.TRAFFIC_RECORDER_BROWSER = '/nonexistent/chromium';
    try {
      // One browser per session: until the server has seen the killed one exit, asking again hands it back.
      let missing = await server.call('POST', `/${json.session.id}/open-browser`, { headless: true });
      for (let tries = 0; missing.json?.reused === true && tries < 200; tries++) {
        await new Promise((r) => setTimeout(r, 50));
        missing = await server.call('POST', `/${json.session.id}/open-browser`, { headless: true });
      }
      expect(missing.status).toBe(400);
      expect(missing.json).toMatchObject({ code: 'not_supported', error: expect.stringMatching(/could not start the browser \/nonexistent\/chromium: ENOENT/) });
    } finally {
      delete process.env.TRAFFIC_RECORDER_BROWSER;
    }
  }, 60_000);
});

const DCONF = ['/usr/lib/x86_64-linux-gnu/gio/modules/libdconfsettings.so', '/usr/lib/aarch64-linux-gnu/gio/modules/libdconfsettings.so'];
const gnomeSkip =
  process.platform !== 'linux' ? `needs Linux (this is ${process.platform})`
  : !hasTool('gsettings') || !hasTool('dbus-daemon') ? 'missing gsettings or dbus-daemon (libglib2.0-bin, dbus)'
  : !DCONF.some((p) => existsSync(p)) ? 'missing the dconf GSettings backend (dconf-gsettings-backend)'
  : null;
if (gnomeSkip) console.log(`[skip] GNOME system proxy through the server: ${gnomeSkip}`);

describe.skipIf(!!gnomeSkip)('system proxy through the server (real gsettings on a private session bus)', () => {
  it('toggles on and off, restores on quit, and after a kill -9 on the next start', async () => {
    const home = await tempDir('tr-gnome-home-');
    const runtime = path.join(home, 'run');
    await fs.mkdir(runtime, { mode: 0o700 });
    const base = { HOME: home, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_RUNTIME_DIR: runtime, GSETTINGS_BACKEND: 'dconf', XDG_CURRENT_DESKTOP: 'GNOME' };
    const bus = await run('dbus-daemon', ['--session', '--fork', '--nosyslog', '--print-address=1', '--print-pid=1'], { ...process.env, ...base });
    const [address, pid] = bus.stdout.trim().split('\n');
    const env = { ...base, DBUS_SESSION_BUS_ADDRESS: address! };
    const gget = (key: string, schema = 'org.gnome.system.proxy') =>
      execFileSync('gsettings', ['get', schema, key], { env: { ...process.env, ...env }, encoding: 'utf8' }).trim();
    const dataDir = await tempDir();
    const api = (base: string, method: string, p: string, body?: unknown) =>
      fetch(`${base}/api/v1/recorder${p}`, {
        method,
        headers: { authorization: `Bearer ${TEST_TOKEN}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, json: (await r.json()) as any }));
    try {
      execFileSync('gsettings', ['set', 'org.gnome.system.proxy', 'mode', "'none'"], { env: { ...process.env, ...env } });
      let serve = await spawnServe(['--data-dir', dataDir, '--token', TEST_TOKEN], env);
      let session = (await api(serve.url, 'POST', '/start', { mode: 'forward' })).json.session;
      const on = await api(serve.url, 'POST', '/system-proxy/on', { sessionId: session.id });
      expect(on.status).toBe(200);
      expect(gget('mode')).toBe("'manual'");
      expect(gget('port', 'org.gnome.system.proxy.http')).toBe(String(session.listenPort));
      expect((await api(serve.url, 'GET', '/system-proxy')).json).toMatchObject({ ours: true, pendingRestore: true });
      const off = await api(serve.url, 'POST', '/system-proxy/off', {});
      expect(off.json.restored).toBe(true);
      expect(gget('mode')).toBe("'none'");

      // Quit restores.
      await api(serve.url, 'POST', '/system-proxy/on', { sessionId: session.id });
      expect(gget('mode')).toBe("'manual'");
      expect(await serve.stop()).toBe(0);
      expect(gget('mode')).toBe("'none'");

      // A crash leaves it on; the next start puts it back.
      serve = await spawnServe(['--data-dir', dataDir, '--token', TEST_TOKEN], env);
      session = (await api(serve.url, 'POST', `/${session.id}/restart`)).json.session;
      await api(serve.url, 'POST', '/system-proxy/on', { sessionId: session.id });
      expect(gget('mode')).toBe("'manual'");
      await serve.kill9();
      expect(gget('mode')).toBe("'manual'");
      serve = await spawnServe(['--data-dir', dataDir, '--token', TEST_TOKEN], env);
      expect(gget('mode')).toBe("'none'");
      expect(serve.output()).toMatch(/restored the system proxy/);
      await serve.stop();
    } finally {
      if (pid) {
        try {
          process.kill(Number(pid));
        } catch {
          /* gone */
        }
      }
      await fs.rm(home, { recursive: true, force: true });
    }
  }, 120_000);
});

// Real Linux trust-store changes on this machine (root only); afterAll always uninstalls.
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../../engine/ca/certificate-authority.js';
import { startHttpsServer } from '../../engine/ca/tls-test-helpers.js';
import { CHROMIUM, cleanClientEnv, linuxRootSkipReason } from '../int-test-env.js';
import { createTrustStore } from './index.js';
import { DEBIAN_CERT_FILE } from './linux.js';

const skip = linuxRootSkipReason(['update-ca-certificates', 'curl', 'certutil', 'openssl']);
if (skip) console.log(`[skip] linux trust-store integration: ${skip}`);

const NAME = 'trust-int.test';
let tmp: string;
let ca: CertificateAuthority;
let server: { port: number; close: () => Promise<void> };

function run(file: string, args: string[], env = cleanClientEnv()): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env, encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

/** curl with NO --cacert: only the OS store decides. Loopback only, no proxy. */
const curl = (url: string) => run('curl', ['-sS', '--noproxy', '*', '--max-time', '10', '--resolve', `${NAME}:${server.port}:127.0.0.1`, url]);

describe.skipIf(!!skip)('Linux trust store (real)', () => {
  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-trust-int-'));
    ca = await CertificateAuthority.loadOrCreate(path.join(tmp, 'data'));
    const leaf = await ca.leafForNames([NAME, '127.0.0.1']);
    server = await startHttpsServer(leaf.keyPem, leaf.certPem);
  });

  afterAll(async () => {
    if (ca) {
      await createTrustStore(ca, 'linux').uninstall({ scope: 'system' }).catch((e: unknown) => console.error('cleanup uninstall failed', e));
      await fs.rm(DEBIAN_CERT_FILE, { force: true });
    }
    await server?.close();
    await fs.rm(tmp, { recursive: true, force: true });
  });

  it('system store: curl fails before, succeeds after install (DNS name and IP literal), fails after uninstall', async () => {
    const store = createTrustStore(ca, 'linux');
    expect((await curl(`https://${NAME}:${server.port}/`)).code).toBe(60); // CURLE_PEER_FAILED_VERIFICATION
    expect((await store.status({ scope: 'system' })).installed).toBe(false);

    const dry = await store.install({ scope: 'system', dryRun: true });
    expect(dry.steps[0]!.display).toEqual([`install -D -m 0644 ${ca.certPath} ${DEBIAN_CERT_FILE}`, 'update-ca-certificates']);
    expect((await store.status({ scope: 'system' })).installed).toBe(false); // the dry run changed nothing

    const res = await store.install({ scope: 'system' });
    expect(res.status?.installed).toBe(true);
    const byName = await curl(`https://${NAME}:${server.port}/`);
    expect(byName).toMatchObject({ code: 0, stdout: `ok ${NAME}:${server.port}` });
    expect((await curl(`https://127.0.0.1:${server.port}/`)).code).toBe(0);

    const un = await store.uninstall({ scope: 'system' });
    expect(un.status?.installed).toBe(false);
    expect((await curl(`https://${NAME}:${server.port}/`)).code).toBe(60);
    // Nothing of ours is left behind in /etc/ssl/certs (no dangling links).
    const leftovers = (await run('find', ['/etc/ssl/certs', '-xtype', 'l'])).stdout.trim();
    expect(leftovers).toBe('');
    expect((await fs.readFile('/etc/ssl/certs/ca-certificates.crt', 'utf8')).replace(/\s+/g, '')).not.toContain(ca.certPem.split('\n')[1]);
  }, 180_000); // update-ca-certificates runs twice: slow on a busy machine

  it('a fresh NSS database: install lists the CA, uninstall removes it', async () => {
    const db = path.join(tmp, 'nssdb');
    await fs.mkdir(db);
    expect((await run('certutil', ['-N', '-d', `sql:${db}`, '--empty-password'])).code).toBe(0);
    const store = createTrustStore(ca, 'linux');
    await store.install({ scope: 'user', nssDbs: [db] });
    const listed = await run('certutil', ['-L', '-d', `sql:${db}`]);
    expect(listed.stdout).toMatch(/Traffic Recorder CA\s+C,,/);
    expect((await store.status({ scope: 'user', nssDbs: [db] })).installed).toBe(true);
    await store.uninstall({ scope: 'user', nssDbs: [db] });
    expect((await run('certutil', ['-L', '-d', `sql:${db}`])).stdout).not.toContain('Traffic Recorder CA');
    expect((await store.status({ scope: 'user', nssDbs: [db] })).installed).toBe(false);
  });

  it.skipIf(!CHROMIUM)('headless Chromium trusts a page signed by our CA once ~/.pki/nssdb has it', async () => {
    const url = `https://${NAME}:${server.port}/`;
    const dumpDom = async (home: string) => {
      const profile = await fs.mkdtemp(path.join(tmp, 'profile-'));
      const res = await run(CHROMIUM!, [
        '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`,
        `--host-resolver-rules=MAP ${NAME} 127.0.0.1`, '--no-proxy-server', '--dump-dom', url,
      ], cleanClientEnv({ HOME: home }));
      return res.stdout;
    };
    const homeWithout = await fs.mkdtemp(path.join(tmp, 'home-without-'));
    expect(await dumpDom(homeWithout)).not.toContain(`ok ${NAME}`);

    const home = await fs.mkdtemp(path.join(tmp, 'home-'));
    const store = createTrustStore(ca, 'linux', { home });
    const res = await store.install({ scope: 'user' }); // creates ~/.pki/nssdb like a first Chromium run would
    expect(res.steps.map((s) => s.target)).toEqual([`nss:${home}/.pki/nssdb`]);
    expect(await dumpDom(home)).toContain(`ok ${NAME}:${server.port}`);
  }, 90_000);
});

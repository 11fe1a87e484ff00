import { describe, expect, it } from 'vitest';
import { OsIntegrationError } from '../errors.js';
import { fakeRunner, type FakeRunner } from '../fake-runner.js';
import { createTrustStore, type TrustDeps } from './index.js';
import { DEBIAN_BUNDLE, DEBIAN_CERT_FILE } from './linux.js';

const PEM = '-----BEGIN CERTIFICATE-----\nQUJD\nREVG\n-----END CERTIFICATE-----\n';
const ca = { certPem: PEM, certPath: '/data/ca/ca-cert.pem', fingerprints: { sha1: 'AA11BB22CC33DD44EE55FF6600112233445566778' } };

function deps(runner: FakeRunner, over: Partial<TrustDeps> & { files?: Record<string, string>; tools?: string[]; dirs?: Record<string, string[]> } = {}): Partial<TrustDeps> {
  const files = over.files ?? {};
  const tools = over.tools ?? ['update-ca-certificates', 'certutil'];
  return {
    runner,
    home: over.home ?? '/home/u',
    isRoot: over.isRoot ?? false,
    exists: (p) => Promise.resolve(p in files),
    readFile: (p) => Promise.resolve(files[p] ?? null),
    readdir: (p) => Promise.resolve(over.dirs?.[p] ?? []),
    which: (p) => Promise.resolve(tools.includes(p)),
  };
}

describe('linux trust store', () => {
  it('install (not root): one pkexec for the Debian system store, certutil per NSS db incl. Firefox profiles', async () => {
    const run = fakeRunner();
    const store = createTrustStore(ca, 'linux', deps(run, {
      files: { '/home/u/.mozilla/firefox/abc.default/cert9.db': '' },
      dirs: { '/home/u/.mozilla/firefox': ['abc.default', 'profiles.ini'] },
    }));
    const res = await store.install();
    expect(res.steps.map((s) => [s.target, s.elevated])).toEqual([
      ['system:debian', true],
      ['nss:/home/u/.pki/nssdb', false],
      ['nss:/home/u/.mozilla/firefox/abc.default', false],
    ]);
    expect(run.calls.slice(0, 7).map((c) => [c.file, ...c.args])).toEqual([
      ['pkexec', '/bin/sh', '-c', `install -D -m 0644 /data/ca/ca-cert.pem ${DEBIAN_CERT_FILE} && update-ca-certificates`],
      ['mkdir', '-p', '-m', '0700', '/home/u/.pki/nssdb'],
      ['certutil', '-N', '-d', 'sql:/home/u/.pki/nssdb', '--empty-password'],
      ['certutil', '-D', '-d', 'sql:/home/u/.pki/nssdb', '-n', 'Traffic Recorder CA'],
      ['certutil', '-A', '-d', 'sql:/home/u/.pki/nssdb', '-n', 'Traffic Recorder CA', '-t', 'C,,', '-i', '/data/ca/ca-cert.pem'],
      ['certutil', '-D', '-d', 'sql:/home/u/.mozilla/firefox/abc.default', '-n', 'Traffic Recorder CA'],
      ['certutil', '-A', '-d', 'sql:/home/u/.mozilla/firefox/abc.default', '-n', 'Traffic Recorder CA', '-t', 'C,,', '-i', '/data/ca/ca-cert.pem'],
    ]);
  });

  it('install as root runs the system commands directly; uninstall removes file + link, then update-ca-certificates', async () => {
    const run = fakeRunner();
    const store = createTrustStore(ca, 'linux', deps(run, { isRoot: true }));
    await store.install({ scope: 'system' });
    await store.uninstall({ scope: 'system' });
    expect(run.lines().filter((l) => !l.startsWith('certutil'))).toEqual([
      `install -D -m 0644 /data/ca/ca-cert.pem ${DEBIAN_CERT_FILE}`,
      'update-ca-certificates',
      `rm -f ${DEBIAN_CERT_FILE} /etc/ssl/certs/traffic-recorder-ca.pem`,
      'find /etc/ssl/certs -maxdepth 1 -lname traffic-recorder-ca.pem -delete',
      'update-ca-certificates',
    ]);
  });

  it('Fedora/Arch: trust anchor --store / --remove', async () => {
    const run = fakeRunner();
    const store = createTrustStore(ca, 'linux', deps(run, { isRoot: true, tools: ['trust'] }));
    const install = await store.plan('install', { scope: 'system' });
    const uninstall = await store.plan('uninstall', { scope: 'system' });
    expect(install.steps[0]!.display).toEqual(['trust anchor --store /data/ca/ca-cert.pem']);
    expect(uninstall.steps[0]!.display).toEqual(['trust anchor --remove /data/ca/ca-cert.pem']);
  });

  it('uninstall removes from NSS dbs only where our CA is', async () => {
    const run = fakeRunner({
      'certutil -L -d sql:/home/u/.pki/nssdb': { code: 0, stdout: PEM },
      'certutil -L -d sql:/other': { code: 255, stderr: 'certutil: Could not find cert' },
    });
    const store = createTrustStore(ca, 'linux', deps(run, { files: { '/home/u/.pki/nssdb/cert9.db': '', '/other/cert9.db': '' } }));
    const res = await store.uninstall({ scope: 'user', nssDbs: ['/home/u/.pki/nssdb', '/other'] });
    expect(res.steps.map((s) => s.display)).toEqual([["certutil -D -d sql:/home/u/.pki/nssdb -n 'Traffic Recorder CA'"]]);
    expect(res.skipped).toEqual([{ target: 'nss:/other', reason: 'our CA is not in this database' }]);
  });

  it('status reads the Debian file + bundle and certutil -L without changing anything', async () => {
    const run = fakeRunner({ 'certutil -L': { code: 0, stdout: PEM } });
    const store = createTrustStore(ca, 'linux', deps(run, {
      files: { [DEBIAN_CERT_FILE]: PEM, [DEBIAN_BUNDLE]: `other\n${PEM}`, '/home/u/.pki/nssdb/cert9.db': '' },
    }));
    const st = await store.status();
    expect(st.installed).toBe(true);
    expect(st.targets.map((t) => [t.target, t.installed])).toEqual([['system:debian', true], ['nss:/home/u/.pki/nssdb', true]]);
    expect(run.lines()).toEqual(["certutil -L -d sql:/home/u/.pki/nssdb -n Traffic Recorder CA -a"]);
  });

  it('dry run returns the exact commands and runs nothing that changes state', async () => {
    const run = fakeRunner();
    const store = createTrustStore(ca, 'linux', deps(run));
    const res = await store.install({ dryRun: true });
    expect(res.dryRun).toBe(true);
    expect(res.status).toBeUndefined();
    expect(res.steps.flatMap((s) => s.display)[0]).toBe(`pkexec /bin/sh -c 'install -D -m 0644 /data/ca/ca-cert.pem ${DEBIAN_CERT_FILE} && update-ca-certificates'`);
    expect(run.calls).toEqual([]);
  });

  it('refused pkexec becomes a typed ELEVATION_REFUSED error and stops before NSS', async () => {
    const run = fakeRunner({ pkexec: { code: 126, stderr: 'Error executing command as another user: Request dismissed' } });
    const store = createTrustStore(ca, 'linux', deps(run));
    const err = await store.install().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OsIntegrationError);
    expect(err).toMatchObject({ code: 'ELEVATION_REFUSED' });
    expect(run.calls).toHaveLength(1);
  });

  it('a missing certutil skips NSS with a reason instead of failing', async () => {
    const run = fakeRunner();
    const store = createTrustStore(ca, 'linux', deps(run, { isRoot: true, tools: ['update-ca-certificates'] }));
    const res = await store.plan('install');
    expect(res.skipped).toEqual([{ target: 'nss:/home/u/.pki/nssdb', reason: 'certutil missing (Debian/Ubuntu: apt-get install libnss3-tools)' }]);
  });
});

describe('darwin trust store', () => {
  it('user scope: login keychain, no elevation; uninstall by SHA-1', async () => {
    const run = fakeRunner();
    const store = createTrustStore(ca, 'darwin', deps(run, { home: '/Users/me' }));
    await store.install();
    await store.uninstall();
    expect(run.lines()).toEqual([
      'security add-trusted-cert -r trustRoot -k /Users/me/Library/Keychains/login.keychain-db /data/ca/ca-cert.pem',
      'security find-certificate -a -Z /Users/me/Library/Keychains/login.keychain-db',
      'security remove-trusted-cert /data/ca/ca-cert.pem',
      `security delete-certificate -Z ${ca.fingerprints.sha1} /Users/me/Library/Keychains/login.keychain-db`,
      'security find-certificate -a -Z /Users/me/Library/Keychains/login.keychain-db',
    ]);
  });

  it('system scope: System.keychain with -d behind osascript administrator privileges; -128 is a refusal', async () => {
    const run = fakeRunner({ osascript: { code: 1, stderr: 'execution error: User canceled. (-128)' } });
    const store = createTrustStore(ca, 'darwin', deps(run));
    const plan = await store.plan('install', { scope: 'system' });
    expect(plan.steps[0]!.commands).toEqual([{
      file: 'osascript',
      args: ['-e', 'do shell script "security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain /data/ca/ca-cert.pem" with administrator privileges'],
    }]);
    await expect(store.install({ scope: 'system' })).rejects.toMatchObject({ code: 'ELEVATION_REFUSED' });
  });

  it('status finds our SHA-1 in find-certificate output', async () => {
    const run = fakeRunner({ 'security find-certificate': { stdout: `SHA-256 hash: 00\nSHA-1 hash: ${ca.fingerprints.sha1}\nkeychain: "x"\n` } });
    const st = await createTrustStore(ca, 'darwin', deps(run)).status();
    expect(st.installed).toBe(true);
  });
});

describe('win32 trust store', () => {
  it('user scope: certutil -user -addstore Root FILE / -delstore Root SHA1, no elevation', async () => {
    const run = fakeRunner({ 'certutil -user -store': { code: -2146885628 } });
    const store = createTrustStore(ca, 'win32', deps(run));
    const res = await store.install();
    await store.uninstall();
    expect(run.lines()).toEqual([
      'certutil -user -addstore Root /data/ca/ca-cert.pem',
      `certutil -user -store Root ${ca.fingerprints.sha1}`,
      `certutil -user -delstore Root ${ca.fingerprints.sha1}`,
      `certutil -user -store Root ${ca.fingerprints.sha1}`,
    ]);
    expect(res.status?.installed).toBe(false);
  });

  it('system scope goes through UAC; refusal (1223) is typed', async () => {
    const run = fakeRunner({ 'powershell.exe': { code: 1223 } });
    const store = createTrustStore(ca, 'win32', deps(run));
    const plan = await store.plan('uninstall', { scope: 'system' });
    expect(plan.steps[0]!.elevated).toBe(true);
    expect(plan.steps[0]!.commands[0]!.args.at(-1)).toContain(`Start-Process -FilePath 'certutil' -ArgumentList '-delstore Root ${ca.fingerprints.sha1}' -Verb RunAs`);
    await expect(store.uninstall({ scope: 'system' })).rejects.toMatchObject({ code: 'ELEVATION_REFUSED' });
  });

  it('a refused CurrentUser Root confirmation dialog is typed too', async () => {
    const run = fakeRunner({ 'certutil -user -addstore': { code: -2147023673, stdout: 'CertUtil: -addstore command FAILED: 0x800704c7 (WIN32: 1223 ERROR_CANCELLED)' } });
    await expect(createTrustStore(ca, 'win32', deps(run)).install()).rejects.toMatchObject({ code: 'ELEVATION_REFUSED' });
  });
});

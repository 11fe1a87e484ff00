import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { promises as fs, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaError, CertificateAuthority, caPaths } from './certificate-authority.js';
import { LruCache } from './lru-cache.js';
import { sanForHost } from './leaf-generator.js';
import { spkiSha256Pin } from './pem.js';
import { startHttpsServer, tlsGet } from './tls-test-helpers.js';

let dataDir: string;
let ca: CertificateAuthority;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-ca-'));
  ca = await CertificateAuthority.loadOrCreate(dataDir);
});
afterAll(async () => {
  await fs.rm(dataDir, { recursive: true, force: true });
});

function openssl(args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}
const hasOpenssl = (() => { try { execFileSync('openssl', ['version']); return true; } catch { return false; } })();

describe('CA generation and storage', () => {
  it('is an ECDSA P-256 self-signed root valid for 10 years', () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.verify(cert.publicKey)).toBe(true);
    const years = (Date.parse(cert.validTo) - Date.now()) / (365.25 * 24 * 3600 * 1000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    expect(ca.status()).toMatchObject({ exists: true, keyAlgorithm: 'ECDSA P-256', commonName: 'Traffic Recorder CA', expired: false });
  });

  it.skipIf(!hasOpenssl)('has critical basicConstraints CA:true, critical keyCertSign+cRLSign and an SKI', () => {
    const text = openssl(['x509', '-in', ca.certPath, '-noout', '-text']).out;
    expect(text).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(text).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign\s/);
    expect(text).toMatch(/Subject Key Identifier/);
    expect(text).toMatch(/ecdsa-with-SHA256/);
  });

  it('stores the key with mode 0600 and never exposes it in status or JSON', async () => {
    const { keyPath, certPath } = caPaths(dataDir);
    if (process.platform !== 'win32') expect((await fs.stat(keyPath)).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(certPath, 'utf8')).toBe(ca.certPem);
    const json = JSON.stringify({ ca, status: ca.status() });
    expect(json).not.toContain('PRIVATE KEY');
    expect(ca.keyPem).toContain('BEGIN PRIVATE KEY');
  });

  it('returns the same CA on every loadOrCreate, also after a "restart" (fresh module state)', async () => {
    const again = await CertificateAuthority.loadOrCreate(dataDir);
    expect(again).toBe(ca);
    const reloaded = await CertificateAuthority.load(dataDir);
    expect(reloaded?.certPem).toBe(ca.certPem);
    expect(reloaded?.keyPem).toBe(ca.keyPem);
    expect(reloaded?.fingerprints.sha256).toBe(ca.fingerprints.sha256);
  });

  it('concurrent first-time creation in one data dir yields one CA', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-ca-race-'));
    const [a, b] = await Promise.all([CertificateAuthority.loadOrCreate(dir), CertificateAuthority.loadOrCreate(path.join(dir, '.'))]);
    expect(a.certPem).toBe(b.certPem);
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('.ca-new-'))).toEqual([]);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('statusOf does not create a CA; a mismatched key is a typed error', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-ca-empty-'));
    expect(await CertificateAuthority.statusOf(dir)).toEqual({ exists: false });
    expect(existsSync(caPaths(dir).dir)).toBe(false);
    const other = await CertificateAuthority.loadOrCreate(dir);
    await fs.writeFile(caPaths(dir).keyPath, ca.keyPem, { mode: 0o600 });
    await expect(CertificateAuthority.load(dir)).rejects.toMatchObject({ code: 'CA_KEY_MISMATCH' });
    await expect(CertificateAuthority.load(dir)).rejects.toBeInstanceOf(CaError);
    expect(other.certPem).not.toBe(ca.certPem);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('computes the SPKI pin Chromium expects (sha256 of the DER SubjectPublicKeyInfo, base64)', () => {
    expect(spkiSha256Pin(ca.certPem)).toBe(ca.fingerprints.spkiSha256);
    expect(Buffer.from(ca.fingerprints.spkiSha256, 'base64')).toHaveLength(32);
  });
});

describe('leaf certificates', () => {
  it('share one key pair per key type, so a new host costs a signature, not a key generation', async () => {
    const [a, b] = await Promise.all([ca.leafFor('shared-key-a.test'), ca.leafFor('shared-key-b.test')]);
    expect(a.certPem).not.toBe(b.certPem);
    expect(a.keyPem).toBe(b.keyPem);
    const [ca1, ca2] = [new X509Certificate(a.certPem), new X509Certificate(b.certPem)];
    expect(ca1.publicKey.export({ type: 'spki', format: 'der' }).equals(ca2.publicKey.export({ type: 'spki', format: 'der' }))).toBe(true);
    expect(ca1.checkIssued(new X509Certificate(ca.certPem)) && ca2.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    const rsa = await ca.leafFor('shared-key-a.test', { keyType: 'rsa-2048' });
    expect(rsa.keyPem).not.toBe(a.keyPem);
  });

  it('covers DNS names and IP literals with the right SAN types, key usage and validity', async () => {
    const leaf = await ca.leafForNames(['Example.TEST.', '127.0.0.1', '[::1]']);
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.subjectAltName).toBe('DNS:example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    expect(cert.checkIssued(new X509Certificate(ca.certPem))).toBe(true);
    expect(cert.ca).toBe(false);
    const days = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / 86_400_000;
    expect(days).toBeLessThanOrEqual(397);
    expect(Date.parse(cert.validFrom)).toBeLessThan(Date.now() - 3600_000);
    expect(cert.publicKey.asymmetricKeyType).toBe('ec');
  });

  it.skipIf(!hasOpenssl)('is accepted by openssl verify -purpose sslserver, with key usage as the brief demands', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-leaf-'));
    const ec = await ca.leafFor('example.test');
    const ip = await ca.leafFor('127.0.0.1');
    const rsaCa = await CertificateAuthority.load(dataDir, { leafKeyType: 'rsa-2048' });
    const rsa = await rsaCa!.leafFor('rsa.example.test');
    for (const [name, leaf] of [['ec', ec], ['ip', ip], ['rsa', rsa]] as const) {
      await fs.writeFile(path.join(dir, `${name}.pem`), leaf.certPem);
    }
    const verify = (file: string, extra: string[]) => openssl(['verify', '-CAfile', ca.certPath, '-purpose', 'sslserver', ...extra, path.join(dir, file)]);
    expect(verify('ec.pem', ['-verify_hostname', 'example.test'])).toMatchObject({ ok: true });
    expect(verify('ip.pem', ['-verify_ip', '127.0.0.1'])).toMatchObject({ ok: true });
    expect(verify('rsa.pem', ['-verify_hostname', 'rsa.example.test'])).toMatchObject({ ok: true });
    expect(verify('ec.pem', ['-verify_hostname', 'other.test']).ok).toBe(false);
    const ecText = openssl(['x509', '-in', path.join(dir, 'ec.pem'), '-noout', '-text']).out;
    expect(ecText).toMatch(/Key Usage: critical\s+Digital Signature\s/);
    expect(ecText).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication\s/);
    expect(ecText).toMatch(/Authority Key Identifier/);
    const rsaText = openssl(['x509', '-in', path.join(dir, 'rsa.pem'), '-noout', '-text']).out;
    expect(rsaText).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment\s/);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('validates in a real TLS handshake by DNS name (SNI) and by IP literal, trusting only our CA', async () => {
    const leaf = await ca.leafForNames(['example.test', '127.0.0.1']);
    const server = await startHttpsServer(leaf.keyPem, leaf.certPem);
    try {
      const byName = await tlsGet({ caPem: ca.certPem, host: 'example.test', servername: 'example.test', port: server.port });
      expect(byName).toMatchObject({ authorized: true });
      expect(byName.body).toContain('ok example.test');
      const byIp = await tlsGet({ caPem: ca.certPem, host: '127.0.0.1', port: server.port });
      expect(byIp).toMatchObject({ authorized: true });
      const wrongName = await tlsGet({ caPem: ca.certPem, host: 'other.test', servername: 'other.test', port: server.port });
      expect(wrongName.error).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
      const otherCa = (await import('node:tls')).rootCertificates[0]!;
      const untrusted = await tlsGet({ caPem: otherCa, host: 'example.test', servername: 'example.test', port: server.port });
      expect(untrusted.authorized).toBe(false);
    } finally {
      await server.close();
    }
  });

  it('caches leaves per host and reissues after expiry margin', async () => {
    let now = new Date();
    const timed = await CertificateAuthority.load(dataDir, { now: () => now, leafCacheSize: 2 });
    const a1 = await timed!.leafFor('a.test');
    expect(await timed!.leafFor('A.test')).toBe(a1);
    await timed!.leafFor('b.test');
    await timed!.leafFor('c.test'); // evicts a.test (capacity 2)
    expect(await timed!.leafFor('a.test')).not.toBe(a1);
    const a2 = await timed!.leafFor('a.test');
    now = new Date(a2.notAfter.getTime() - 3600_000);
    const a3 = await timed!.leafFor('a.test');
    expect(a3).not.toBe(a2);
    expect(a3.notAfter.getTime()).toBeGreaterThan(a2.notAfter.getTime());
  });

  it('maps underscores to a parent wildcard and rejects what cannot be covered', () => {
    expect(sanForHost('my_host.example.com')).toEqual({ kind: 'dns', value: '*.example.com' });
    expect(() => sanForHost('my_host.com')).toThrow(/underscores/);
    expect(sanForHost('bücher.example')).toEqual({ kind: 'dns', value: 'xn--bcher-kva.example' });
    expect(sanForHost('[2001:db8::1]')).toEqual({ kind: 'ip', value: '2001:db8::1' });
  });
});

describe('LruCache', () => {
  it('evicts the least recently used entry', () => {
    const lru = new LruCache<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    expect(lru.get('a')).toBe(1);
    lru.set('c', 3);
    expect(lru.get('b')).toBeUndefined();
    expect(lru.get('a')).toBe(1);
    expect(lru.size).toBe(2);
  });
});

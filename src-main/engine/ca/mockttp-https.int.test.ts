// mockttp with our ECDSA CA and WITHOUT the leaf hook (leaves: 'mockttp'): what options alone give.
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getLocal, type Mockttp } from 'mockttp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from './certificate-authority.js';
import { isMockttpLeafHookActive, mockttpHttpsOptions } from './mockttp-https.js';
import { connectTunnel, startHttpsServer, tlsGet } from './tls-test-helpers.js';

let dataDir: string;
let ca: CertificateAuthority;
let proxy: Mockttp;
let upstream: { port: number; close: () => Promise<void> };

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-ca-mockttp-'));
  ca = await CertificateAuthority.loadOrCreate(dataDir);
  const upstreamLeaf = await ca.leafForNames(['127.0.0.1', 'upstream.test']);
  upstream = await startHttpsServer(upstreamLeaf.keyPem, upstreamLeaf.certPem);
  proxy = getLocal({ https: await mockttpHttpsOptions(ca, { leaves: 'mockttp' }), http2: false, recordTraffic: false });
  await proxy.forGet('https://reply.test/').thenReply(200, 'mocked reply');
  await proxy.forAnyRequest().thenPassThrough({ additionalTrustedCAs: [{ cert: ca.certPem }] });
  await proxy.start();
});
afterAll(async () => {
  await proxy?.stop();
  await upstream?.close();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('mockttp 4.6.5 with the ECDSA CA (no hook)', () => {
  it('accepts the ECDSA CA and its own RSA leaves for SNI names verify against it', async () => {
    const socket = await connectTunnel(proxy.port, 'reply.test:443');
    const res = await tlsGet({ socket, caPem: ca.certPem, host: 'reply.test', servername: 'reply.test' });
    expect(res).toMatchObject({ authorized: true, peerSubjectAltName: 'DNS:reply.test', peerKeyType: 'rsa' });
    expect(res.body).toContain('mocked reply');
  });

  it('serves our IP-SAN default certificate for an IP literal (no SNI) and passes through to a local HTTPS upstream', async () => {
    const socket = await connectTunnel(proxy.port, `127.0.0.1:${upstream.port}`);
    const res = await tlsGet({ socket, caPem: ca.certPem, host: '127.0.0.1' });
    expect(res.authorized).toBe(true);
    expect(res.peerSubjectAltName).toContain('IP Address:127.0.0.1');
    // RSA: it must share the OpenSSL slot with mockttp's RSA SNI leaves (see mockttp-https.ts).
    expect(res.peerKeyType).toBe('rsa');
    expect(res.body).toMatch(/^HTTP\/1\.1 200/);
    expect(res.body).toContain(`ok 127.0.0.1`);
  });

  it('is not patched: isMockttpLeafHookActive() is false', () => {
    expect(isMockttpLeafHookActive()).toBe(false);
  });

  it('IPv6 loopback literal also verifies', async () => {
    const socket = await connectTunnel(proxy.port, '[::1]:443');
    const res = await tlsGet({ socket, caPem: ca.certPem, host: '::1' });
    expect(res.authorized).toBe(true);
  });
});

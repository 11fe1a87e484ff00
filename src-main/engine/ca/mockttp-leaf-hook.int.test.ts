// mockttp with our leaf generator hooked in: every MITM leaf comes from ca.leafFor().
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getLocal, type Mockttp } from 'mockttp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from './certificate-authority.js';
import { isMockttpLeafHookActive, mockttpHttpsOptions, useOwnLeavesInMockttp } from './mockttp-https.js';
import { isTunnelLeafHookInstalled } from './mockttp-tunnel-leaves.js';
import { connectTunnel, tlsGet } from './tls-test-helpers.js';

const hasCurl = (() => { try { execFileSync('curl', ['--version'], { stdio: 'ignore' }); return true; } catch { return false; } })();
const execFileAsync = promisify(execFile);
let dataDir: string;
let ca: CertificateAuthority;
let proxy: Mockttp;
let unregister: () => void;

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-ca-hook-'));
  ca = await CertificateAuthority.loadOrCreate(dataDir);
  proxy = getLocal({ https: await mockttpHttpsOptions(ca), http2: false, recordTraffic: false });
  unregister = useOwnLeavesInMockttp(ca); // already done by mockttpHttpsOptions; idempotent
  await proxy.forAnyRequest().thenReply(200, 'hooked');
  await proxy.start();
});
afterAll(async () => {
  await proxy?.stop();
  unregister?.();
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('useOwnLeavesInMockttp', () => {
  it('makes mockttp serve our ECDSA leaves for SNI names', async () => {
    expect(isMockttpLeafHookActive()).toBe(true);
    const socket = await connectTunnel(proxy.port, 'hooked.example:443');
    const res = await tlsGet({ socket, caPem: ca.certPem, host: 'hooked.example', servername: 'hooked.example' });
    expect(res).toMatchObject({ authorized: true, peerSubjectAltName: 'DNS:hooked.example', peerKeyType: 'ec' });
    expect(res.body).toContain('hooked');
    const cached = await ca.leafFor('hooked.example');
    expect(cached.names).toEqual([{ kind: 'dns', value: 'hooked.example' }]);
  });

  it('serves the EC IP-SAN default certificate to IP literals (no SNI) alongside EC SNI leaves', async () => {
    const socket = await connectTunnel(proxy.port, '127.0.0.1:443');
    const res = await tlsGet({ socket, caPem: ca.certPem, host: '127.0.0.1' });
    expect(res).toMatchObject({ authorized: true, peerKeyType: 'ec' });
    expect(res.peerSubjectAltName).toContain('IP Address:127.0.0.1');
    // Node never sends an IP as SNI; for clients that do, the hook's leafFor() yields an IP SAN.
    expect((await ca.leafFor('127.0.0.2')).names).toEqual([{ kind: 'ip', value: '127.0.0.2' }]);
  });

  it('serves a leaf for the CONNECT IP when it is not among the default names (no SNI)', async () => {
    expect(isTunnelLeafHookInstalled()).toBe(true);
    for (const ip of ['127.0.0.2', '127.1.2.3']) {
      // thenReply answers locally: nothing is sent to these (loopback) addresses.
      const socket = await connectTunnel(proxy.port, `${ip}:443`);
      const res = await tlsGet({ socket, caPem: ca.certPem, host: ip });
      expect(res).toMatchObject({ authorized: true, peerSubjectAltName: `IP Address:${ip}` });
      expect(res.body).toContain('hooked');
    }
  });

  it.skipIf(!hasCurl)('curl through the proxy trusting only our CA: DNS name and IP literals', async () => {
    const caFile = path.join(dataDir, 'ca', 'ca-cert.pem');
    for (const url of ['https://curl-name.example/', 'https://127.0.0.3/', 'https://[::1]/']) {
      // Async: the proxy runs in this process, a sync child would block its event loop.
      const { stdout } = await execFileAsync('curl', ['-sS', '--max-time', '10', '--cacert', caFile, '-x', `http://127.0.0.1:${proxy.port}`,
        '-w', '\n%{ssl_verify_result} %{http_code}', url], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      const [body, codes] = stdout.split('\n');
      expect({ url, verify: codes!.split(' ')[0] }).toEqual({ url, verify: '0' });
      // mockttp 4.6.5 answers 400 to `Host: [::1]` inside the tunnel (its request parsing, not TLS).
      if (!url.includes('[')) expect({ url, body }).toEqual({ url, body: 'hooked' });
    }
  });

  it('leaves other CAs to mockttp', async () => {
    const other = getLocal({ https: await (await import('mockttp')).generateCACertificate(), http2: false });
    await other.forAnyRequest().thenReply(200, 'x');
    await other.start();
    try {
      const socket = await connectTunnel(other.port, 'plain.example:443');
      const res = await tlsGet({ socket, caPem: ca.certPem, host: 'plain.example', servername: 'plain.example' });
      expect(res.authorized).toBe(false);
    } finally {
      await other.stop();
    }
  });
});

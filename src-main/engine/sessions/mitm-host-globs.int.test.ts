/**
 * MITM includeHosts/excludeHosts use the same linear-time globs as the scope filters (issue 8 points 9 and 20):
 * real curl clients through a real forward session to a real HTTPS upstream.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from '../ca/index.js';
import { curl } from '../../test-support/curl.js';
import { startEngine, waitForEntries, type TestEngine } from '../../test-support/engine.js';
import { startUpstream, type Upstream } from '../../test-support/upstream.js';

let engine: TestEngine;
let upstream: Upstream;
let plain: Upstream;
let ourCa: string;
let upstreamCa: string;

beforeAll(async () => {
  engine = await startEngine();
  upstream = await startUpstream({ https: true });
  plain = await startUpstream();
  const ca = await CertificateAuthority.loadOrCreate(engine.dataDir);
  ourCa = path.join(engine.dataDir, 'our-ca.pem');
  upstreamCa = path.join(engine.dataDir, 'upstream-ca.pem');
  await fs.writeFile(ourCa, ca.certPem);
  await fs.writeFile(upstreamCa, upstream.certPem!);
});
afterAll(async () => {
  await engine?.close();
  await upstream?.close();
  await plain?.close();
});

const byName = () => upstream.url.replace('127.0.0.1', 'localhost');

/** Decrypted: the client must trust our CA. Blind: it sees the upstream's own certificate. */
async function interceptedBy(proxyUrl: string, url: string): Promise<boolean> {
  const viaOurs = await curl(['-x', proxyUrl, '--cacert', ourCa, `${url}/json`]);
  if (viaOurs.status === 200) return true;
  const viaUpstream = await curl(['-x', proxyUrl, '--cacert', upstreamCa, `${url}/json`]);
  if (viaUpstream.status === 200) return false;
  throw new Error(`neither intercepted nor blind: ${viaOurs.stderr} / ${viaUpstream.stderr}`);
}

const startMitm = (mitm: { includeHosts?: string[]; excludeHosts?: string[] }) =>
  engine.recorder.startSession({ mode: 'forward', mitm: { enabled: true, ...mitm }, ignoreUpstreamCertErrors: true });

describe('MITM host globs', () => {
  it('includeHosts: a glob with * and ?, case-insensitive, decides which hosts are decrypted', async () => {
    const { session } = await startMitm({ includeHosts: ['127.0.0.?', 'NO-SUCH.*'] });
    expect(await interceptedBy(session.proxyUrl, upstream.url)).toBe(true);
    expect(await interceptedBy(session.proxyUrl, byName())).toBe(false);

    const { session: named } = await startMitm({ includeHosts: ['LOCAL*'] });
    expect(await interceptedBy(named.proxyUrl, byName())).toBe(true);
    expect(await interceptedBy(named.proxyUrl, upstream.url)).toBe(false);
  });

  it('excludeHosts: matching hosts stay blind, the others are decrypted and recorded', async () => {
    const { session } = await startMitm({ excludeHosts: ['*host'] });
    expect(await interceptedBy(session.proxyUrl, byName())).toBe(false);
    expect(await interceptedBy(session.proxyUrl, upstream.url)).toBe(true);
    const entries = await waitForEntries(engine.recorder, session.id, 2);
    expect(entries.filter((e) => e.entryType === 'http').map((e) => e.request.url)).toEqual([`${upstream.url}/json`]);
  });

  it('host patterns that are not valid URLPatterns are plain literals, not a failed start', async () => {
    // mockttp compiled each hostname with URLPattern, which throws on these and failed the session's start.
    const { session } = await startMitm({ includeHosts: ['local{host', 'x(y', '127.0.0.1'] });
    expect(session.status).toBe('running');
    expect(await interceptedBy(session.proxyUrl, upstream.url)).toBe(true);
    expect(await interceptedBy(session.proxyUrl, byName())).toBe(false);
  });

  it('decides the same in a proxy worker process, where the session runs its own mockttp', async () => {
    const pooled = await startEngine({ proxyWorkers: 1 });
    try {
      const ca = await CertificateAuthority.loadOrCreate(pooled.dataDir);
      const pooledCa = path.join(pooled.dataDir, 'pooled-ca.pem');
      await fs.writeFile(pooledCa, ca.certPem);
      const { session } = await pooled.recorder.startSession({
        mode: 'forward',
        mitm: { enabled: true, includeHosts: ['127.0.0.?'] },
        ignoreUpstreamCertErrors: true,
      });
      expect((await curl(['-x', session.proxyUrl, '--cacert', pooledCa, `${upstream.url}/json`])).status).toBe(200);
      expect((await curl(['-x', session.proxyUrl, '--cacert', upstreamCa, `${byName()}/json`])).status).toBe(200);
    } finally {
      await pooled.close();
    }
  });

  it('a pathological host glob against a long CONNECT host does not freeze the server', async () => {
    // mockttp's URLPattern made `*a*a*a*a*b` a backtracking regex costing about host length^5: this
    // 400-character host blocked every session for minutes.
    const { session } = await startMitm({ includeHosts: ['*a*a*a*a*b'] });
    const { session: other } = await engine.recorder.startSession({ targetUrl: plain.url });
    const longHost = `${`${'a'.repeat(49)}.`.repeat(8)}localhost`;
    const pathological = curl(['-x', session.proxyUrl, '--cacert', ourCa, `https://${longHost}:${upstream.port}/json`]);
    const meanwhile = await curl([`${other.proxyUrl}/json`]);
    expect(meanwhile.status).toBe(200);
    // The host is outside includeHosts, so the tunnel stays blind; its name resolves nowhere, so it fails, in words.
    const answer = await pathological;
    expect(answer.status).not.toBe(200);
    expect((await curl([`${other.proxyUrl}/json`])).status).toBe(200);
  });
});

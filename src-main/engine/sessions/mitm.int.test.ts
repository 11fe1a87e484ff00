/** HTTPS interception in forward sessions: real clients trusting only our CA, a real HTTPS upstream. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyAgent, request as undiciRequest } from 'undici';
import { CertificateAuthority } from '../ca/index.js';
import { curl } from '../../test-support/curl.js';
import { startEngine, waitForEntries, type TestEngine } from '../../test-support/engine.js';
import { startUpstream, type Upstream } from '../../test-support/upstream.js';
import { parseOperationInput } from '../../../src-shared/contract.js';

let engine: TestEngine;
let upstream: Upstream;
let caFile: string;
let upstreamCaFile: string;
let caPem: string;

beforeAll(async () => {
  engine = await startEngine();
  upstream = await startUpstream({ https: true });
  const ca = await CertificateAuthority.loadOrCreate(engine.dataDir);
  caPem = ca.certPem;
  caFile = path.join(engine.dataDir, 'our-ca.pem');
  upstreamCaFile = path.join(engine.dataDir, 'upstream-ca.pem');
  await fs.writeFile(caFile, caPem);
  await fs.writeFile(upstreamCaFile, upstream.certPem!);
});
afterAll(async () => {
  await engine?.close();
  await upstream?.close();
});

const named = () => upstream.url.replace('127.0.0.1', 'localhost');

describe('MITM forward sessions', () => {
  it('decrypts, records and re-encrypts HTTPS for curl and undici trusting only our CA', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'forward', mitm: { enabled: true }, ignoreUpstreamCertErrors: true });
    expect(session.mitm).toEqual({ enabled: true });

    const viaCurl = await curl(['-x', session.proxyUrl, '--cacert', caFile, `${named()}/json?secret=1`]);
    expect(viaCurl.stderr).toBe('');
    expect(viaCurl.status).toBe(200);
    expect(JSON.parse(viaCurl.body.toString())).toMatchObject({ ok: true });

    const agent = new ProxyAgent({ uri: session.proxyUrl, requestTls: { ca: caPem } });
    try {
      const res = await undiciRequest(`${upstream.url}/echo`, {
        method: 'POST',
        body: 'over tls',
        headers: { 'content-type': 'text/plain' },
        dispatcher: agent,
      });
      expect(await res.body.text()).toBe('over tls');
    } finally {
      await agent.close();
    }

    const entries = await waitForEntries(engine.recorder, session.id, 2);
    const [get, post] = entries.filter((e) => e.entryType === "http");
    expect(get!.request.url).toBe(`${named()}/json?secret=1`);
    expect(get!.response!.body.text).toContain('"ok":true');
    expect(get!.timings.tlsMs).toBeGreaterThanOrEqual(0);
    expect(get!.timings.connectMs).toBeGreaterThanOrEqual(0);
    expect(get!.upstreamCertErrorsIgnored).toBe(true);
    expect(post!.request.url).toBe(`${upstream.url}/echo`);
    expect(post!.request.body.text).toBe('over tls');
    expect(post!.response!.body.text).toBe('over tls');
  });

  it('verifies upstream certificates by default: a self-signed upstream is a 502 naming TLS', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'forward', mitm: { enabled: true } });
    const res = await curl(['-x', session.proxyUrl, '--cacert', caFile, `${named()}/json`]);
    expect(res.status).toBe(502);
    expect(res.body.toString()).toMatch(/TLS handshake with the upstream failed/);
    const [entry] = await waitForEntries(engine.recorder, session.id, 1);
    expect(entry!.error?.message).toMatch(/TLS/);
    expect(entry!.upstreamCertErrorsIgnored).toBeUndefined();
  });

  it('tunnels excluded hosts blind: the client sees the upstream certificate', async () => {
    const { session } = await engine.recorder.startSession({
      mode: 'forward',
      mitm: { enabled: true, excludeHosts: ['localhost'] },
      ignoreUpstreamCertErrors: true,
    });
    // Trusting only the upstream's own certificate proves nothing was re-signed.
    const blind = await curl(['-x', session.proxyUrl, '--cacert', upstreamCaFile, `${named()}/json`]);
    expect(blind.status).toBe(200);
    const intercepted = await curl(['-x', session.proxyUrl, '--cacert', caFile, `${upstream.url}/json`]);
    expect(intercepted.status).toBe(200);
    const entries = await waitForEntries(engine.recorder, session.id, 2);
    expect(entries.find((e) => e.entryType === 'tunnel')!.tunnel).toMatchObject({ host: 'localhost', port: upstream.port });
    expect(entries.filter((e) => e.entryType === 'http').map((e) => e.request.url)).toEqual([`${upstream.url}/json`]);

    const { session: only } = await engine.recorder.startSession({
      mode: 'forward',
      mitm: { enabled: true, includeHosts: ['127.0.0.1'] },
      ignoreUpstreamCertErrors: true,
    });
    expect((await curl(['-x', only.proxyUrl, '--cacert', upstreamCaFile, `${named()}/json`])).status).toBe(200);
    expect((await curl(['-x', only.proxyUrl, '--cacert', caFile, `${upstream.url}/json`])).status).toBe(200);
  });

  it('records a hint when the client does not trust our CA', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'forward', mitm: { enabled: true }, ignoreUpstreamCertErrors: true });
    const untrusting = await curl(['-x', session.proxyUrl, '--cacert', upstreamCaFile, `${named()}/json`]);
    expect(untrusting.exitCode).not.toBe(0);
    const [hint] = await waitForEntries(engine.recorder, session.id, 1);
    expect(hint!.entryType).toBe('tunnel');
    expect(hint!.tunnel).toMatchObject({ host: 'localhost', port: upstream.port });
    expect(hint!.request.url).toBe(`localhost:${upstream.port}`);
    expect(hint!.error!.message).toMatch(/does not trust the Traffic Recorder CA/);
  });

  it('refuses interception options that cannot work (at the boundary, by the operation schema)', () => {
    const refusal = (input: unknown) => {
      try {
        parseOperationInput('startSession', input);
      } catch (e) {
        return e;
      }
      throw new Error(`accepted ${JSON.stringify(input)}`);
    };
    expect(refusal({ targetUrl: upstream.url, mitm: { enabled: true } })).toMatchObject({ code: 'bad_request', field: 'mitm' });
    expect(refusal({ mode: 'forward', mitm: { enabled: true, includeHosts: ['a'], excludeHosts: ['b'] } })).toMatchObject({ message: expect.stringMatching(/not both/) });
    expect(refusal({ mode: 'forward', mitm: { enabled: 'yes' } })).toMatchObject({ field: 'mitm.enabled' });
  });
});

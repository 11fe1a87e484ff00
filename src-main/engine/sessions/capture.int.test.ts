/** The real engine on 127.0.0.1 against real upstreams, driven by curl and undici, in both proxy modes. */
import net from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyAgent, request as undiciRequest } from 'undici';
import { curl } from '../../test-support/curl.js';
import { startEngine, waitForEntries, type TestEngine } from '../../test-support/engine.js';
import { startUpstream, type Upstream } from '../../test-support/upstream.js';
import type { Entry } from '../../../src-shared/model.js';

let engine: TestEngine;
let upstream: Upstream;
let tlsUpstream: Upstream;

beforeAll(async () => {
  engine = await startEngine();
  upstream = await startUpstream();
  tlsUpstream = await startUpstream({ https: true });
});
afterAll(async () => {
  await engine?.close();
  await upstream?.close();
  await tlsUpstream?.close();
});

const header = (entry: Entry, side: 'request' | 'response', name: string) =>
  (side === 'request' ? entry.request.headers : entry.response!.headers).filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);

describe('reverse mode', () => {
  it('records GET and POST with JSON, gzip and br bodies, wire headers, timings', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'reverse', targetUrl: upstream.url });
    expect(session.listenPort).toBeGreaterThanOrEqual(8081);
    expect(session.listenPort).toBeLessThanOrEqual(8999);
    const base = session.proxyUrl;

    const get = await curl([`${base}/json?x=1`, '-H', 'X-Custom-Case: Keep', '-H', 'x-dup: 1', '-H', 'x-dup: 2']);
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body.toString())).toEqual({ ok: true, path: '/json', query: '?x=1' });

    const post = await undiciRequest(`${base}/echo`, { method: 'POST', body: JSON.stringify({ a: 1 }), headers: { 'content-type': 'application/json' } });
    expect(post.statusCode).toBe(200);
    expect(await post.body.json()).toEqual({ a: 1 });

    const gz = await curl(['--compressed', `${base}/gzip`]);
    expect(JSON.parse(gz.body.toString())).toEqual({ encoded: 'gzip', path: '/gzip' });
    const br = await undiciRequest(`${base}/br`);
    const brRaw = Buffer.from(await br.body.arrayBuffer());
    expect(zlib.brotliDecompressSync(brRaw).toString()).toContain('brotli body ✓');

    const entries = await waitForEntries(engine.recorder, session.id, 4);
    const [e1, e2, e3, e4] = entries as [Entry, Entry, Entry, Entry];
    expect(e1.entryType).toBe('http');
    expect(e1.request.method).toBe('GET');
    expect(e1.request.url).toBe(`${upstream.url}/json?x=1`);
    // Wire order, original case and duplicates kept.
    const names = e1.request.headers.map(([k]) => k);
    expect(names).toContain('X-Custom-Case');
    expect(header(e1, 'request', 'x-dup')).toEqual(['1', '2']);
    expect(header(e1, 'response', 'x-upstream')).toEqual(['one', 'two']);
    expect(e1.response!.statusCode).toBe(200);
    expect(e1.response!.body.text).toBe(get.body.toString());
    expect(e1.request.remoteAddress).toMatch(/127\.0\.0\.1/);
    expect(e1.timings.totalMs).toBeGreaterThan(0);
    expect(e1.timings.waitMs).toBeGreaterThanOrEqual(0);
    expect(e1.timings.tlsMs).toBe(-1);
    expect(e1.durationMs).toBeGreaterThan(0);

    expect(e2.request.method).toBe('POST');
    expect(e2.request.body.text).toBe('{"a":1}');
    expect(e2.response!.body.text).toBe('{"a":1}');

    expect(e3.response!.body.contentEncoding).toBe('gzip');
    expect(JSON.parse(e3.response!.body.text!)).toEqual({ encoded: 'gzip', path: '/gzip' });
    const raw = (await engine.recorder.readEntryBody(session.id, e3.id, 'response', false)).bytes;
    expect(zlib.gunzipSync(raw).toString()).toBe(e3.response!.body.text);

    expect(e4.response!.body.contentEncoding).toBe('br');
    expect(e4.response!.body.text).toContain('brotli body ✓');
    expect(e4.response!.body.size).toBe(brRaw.length);
  });

  it('measures upstream DNS/connect/TLS on a new connection and -1 on a reused one', async () => {
    const { session } = await engine.recorder.startSession({ targetUrl: tlsUpstream.url.replace('127.0.0.1', 'localhost') });
    // The upstream's self-signed certificate is not trusted: verification is on by default.
    const refused = await curl([`${session.proxyUrl}/json`]);
    expect(refused.status).toBe(502);
    expect(refused.body.toString()).toMatch(/TLS handshake with the upstream failed/);
    const [failed] = await waitForEntries(engine.recorder, session.id, 1);
    expect(failed!.error?.message).toMatch(/TLS/);
    expect(failed!.timings.connectMs).toBeGreaterThanOrEqual(0);
    expect(failed!.timings.tlsMs).toBeGreaterThanOrEqual(0);

    const { session: plain } = await engine.recorder.startSession({ targetUrl: upstream.url.replace('127.0.0.1', 'localhost') });
    // One curl process, two requests on one downstream connection: the second reuses the upstream socket.
    await curl([`${plain.proxyUrl}/json`, `${plain.proxyUrl}/json`]);
    const [first, second] = await waitForEntries(engine.recorder, plain.id, 2);
    expect(first!.timings.connectMs).toBeGreaterThanOrEqual(0);
    expect(first!.timings.dnsMs).toBeGreaterThanOrEqual(0);
    expect(second!.timings.connectMs).toBe(-1);
    expect(second!.timings.dnsMs).toBe(-1);
    expect(second!.timings.sendMs).toBeGreaterThanOrEqual(0);
  });

  it('forwards to an https upstream (self-signed accepted on request) and flags the entries', async () => {
    const { session } = await engine.recorder.startSession({ targetUrl: tlsUpstream.url, ignoreUpstreamCertErrors: true });
    const res = await curl([`${session.proxyUrl}/json?tls=1`]);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ ok: true, query: '?tls=1' });
    const [entry] = await waitForEntries(engine.recorder, session.id, 1);
    expect(entry!.request.url).toBe(`${tlsUpstream.url}/json?tls=1`);
    expect(entry!.upstreamCertErrorsIgnored).toBe(true);
    expect(entry!.timings.tlsMs).toBeGreaterThanOrEqual(0);
  });

  it('passes a 3 MiB response through whole and keeps the first 1 MiB, flagged truncated', async () => {
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    const big = await curl([`${session.proxyUrl}/big?size=${3 * 1024 * 1024}`]);
    expect(big.body.length).toBe(3 * 1024 * 1024);
    const upload = Buffer.alloc(2 * 1024 * 1024, 7);
    const echoed = await undiciRequest(`${session.proxyUrl}/echo`, { method: 'POST', body: upload });
    expect(Buffer.from(await echoed.body.arrayBuffer()).equals(upload)).toBe(true);
    const [download, echo] = await waitForEntries(engine.recorder, session.id, 2);
    expect(download!.response!.body).toMatchObject({ size: 3 * 1024 * 1024, capturedSize: 1024 * 1024, truncated: true });
    const kept = (await engine.recorder.readEntryBody(session.id, download!.id, 'response', false)).bytes;
    expect(kept.length).toBe(1024 * 1024);
    expect(kept.equals(big.body.subarray(0, 1024 * 1024))).toBe(true);
    expect(echo!.request.body).toMatchObject({ size: upload.length, capturedSize: 1024 * 1024, truncated: true });
    expect(echo!.response!.body.truncated).toBe(true);
  });

  it('answers 502 naming the failure when the upstream refuses or hangs, and records the error', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));

    const { session } = await engine.recorder.startSession({ targetUrl: `http://127.0.0.1:${deadPort}` });
    const res = await curl([`${session.proxyUrl}/anything`]);
    expect(res.status).toBe(502);
    expect(res.body.toString()).toMatch(/refused the connection.*ECONNREFUSED/);
    const [entry] = await waitForEntries(engine.recorder, session.id, 1);
    expect(entry!.error).toMatchObject({ code: 'ECONNREFUSED' });
    expect(entry!.response!.statusCode).toBe(502);
    // The refused connect attempt is timed up to the refusal; nothing after it happened.
    expect(entry!.timings.connectMs).toBeGreaterThanOrEqual(0);
    expect(entry!.timings.tlsMs).toBe(-1);
    expect(entry!.timings.waitMs).toBe(-1);

    const slowEngine = await startEngine({ limits: { upstreamTimeoutMs: 300 } });
    try {
      const { session: slow } = await slowEngine.recorder.startSession({ targetUrl: upstream.url });
      const hung = await curl([`${slow.proxyUrl}/hang`]);
      expect(hung.status).toBe(502);
      expect(hung.body.toString()).toMatch(/did not answer in time/);
      const [timedOut] = await waitForEntries(slowEngine.recorder, slow.id, 1);
      expect(timedOut!.error?.code).toBe('ETIMEDOUT');
    } finally {
      await slowEngine.close();
    }
  });

  it('answers or closes a malformed request cleanly and keeps working', async () => {
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(session.listenPort, '127.0.0.1', () => socket.write('GARBAGE\x00\x01 nonsense\r\n\r\n'));
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => resolve(data));
      socket.setTimeout(3000, () => socket.destroy());
    });
    expect(reply === '' || /^HTTP\/1\.1 4\d\d/.test(reply)).toBe(true);
    const ok = await curl([`${session.proxyUrl}/json`]);
    expect(ok.status).toBe(200);
    // The refused request is recorded too, saying why; the good one beside it as usual.
    const entries = await waitForEntries(engine.recorder, session.id, 2);
    expect(entries.find((e) => e.error)?.error?.message).toMatch(/refused the request before forwarding it/);
    expect(entries.filter((e) => !e.error).map((e) => e.request.url)).toEqual([`${upstream.url}/json`]);
  });
});

describe('forward mode', () => {
  it('records absolute-form requests from curl and undici', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'forward' });
    const viaCurl = await curl(['-x', session.proxyUrl, `${upstream.url}/json?via=curl`]);
    expect(viaCurl.status).toBe(200);
    const agent = new ProxyAgent(session.proxyUrl);
    try {
      const viaUndici = await undiciRequest(`${upstream.url}/echo`, { method: 'PUT', body: 'hello', dispatcher: agent });
      expect(await viaUndici.body.text()).toBe('hello');
    } finally {
      await agent.close();
    }
    const [a, b] = await waitForEntries(engine.recorder, session.id, 2);
    expect(a!.request.url).toBe(`${upstream.url}/json?via=curl`);
    expect(b!.request.method).toBe('PUT');
    expect(b!.request.body.text).toBe('hello');
  });

  it('passes CONNECT tunnels through blind and records them as tunnel entries', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'forward' });
    const fs = await import('node:fs/promises');
    const caFile = `${engine.dataDir}/upstream-ca.pem`;
    await fs.writeFile(caFile, tlsUpstream.certPem!);
    const tunnelled = await curl(['-x', session.proxyUrl, '--cacert', caFile, `${tlsUpstream.url.replace('127.0.0.1', 'localhost')}/json`]);
    expect(tunnelled.status).toBe(200);
    // The certificate the client saw is the upstream's own: nothing was intercepted.
    expect(JSON.parse(tunnelled.body.toString())).toMatchObject({ ok: true });
    const entries = await waitForEntries(engine.recorder, session.id, 1);
    expect(entries).toHaveLength(1);
    const tunnel = entries[0]!;
    expect(tunnel.entryType).toBe('tunnel');
    expect(tunnel.tunnel!.bytesDown).toBeGreaterThan(0);
    expect(tunnel.tunnel).toMatchObject({ host: 'localhost', port: tlsUpstream.port });
    expect(tunnel.tunnel!.bytesUp).toBeGreaterThan(0);
    expect(tunnel.tunnel!.durationMs).toBeGreaterThan(0);
    expect(tunnel.request.method).toBe('CONNECT');
  });

  it('under a loopback-only policy refuses outside hosts before any lookup, for requests and tunnels', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'forward' });
    const plain = await curl(['-x', session.proxyUrl, 'http://not-here.example.invalid/x']);
    expect(plain.status).toBe(403);
    expect(plain.body.toString()).toMatch(/may not contact not-here\.example\.invalid/);
    const tunnel = await curl(['-x', session.proxyUrl, 'https://not-here.example.invalid/x']);
    expect(tunnel.exitCode).not.toBe(0);
    expect((await curl(['-x', session.proxyUrl, `${upstream.url}/json`])).status).toBe(200);
  });

  it('tells a client that calls a forward proxy directly how to use it', async () => {
    const { session } = await engine.recorder.startSession({ mode: 'forward' });
    const res = await curl([`${session.proxyUrl}/`]);
    expect(res.status).toBe(400);
    expect(res.body.toString()).toMatch(/forward proxy/);
  });
});

describe('binding', () => {
  it('listens on 127.0.0.1 only unless listenHost says otherwise', async () => {
    const connects = (host: string, port: number) =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(port, host, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
    const { session } = await engine.recorder.startSession({ targetUrl: upstream.url });
    expect(await connects('127.0.0.1', session.listenPort)).toBe(true);
    // Another loopback address reaches a wildcard bind but not a 127.0.0.1 one.
    expect(await connects('127.0.0.2', session.listenPort)).toBe(false);
    const { session: open } = await engine.recorder.startSession({ targetUrl: upstream.url, listenHost: '0.0.0.0' });
    expect(await connects('127.0.0.2', open.listenPort)).toBe(true);
  });
});

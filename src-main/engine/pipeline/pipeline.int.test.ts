/**
 * The exchange pipeline through real sockets on 127.0.0.1: stages that transform bodies as streams, rewrite the
 * response head, answer locally and see completions; and a session configuration replaced live on an open
 * keep-alive connection.
 */
import http from 'node:http';
import net from 'node:net';
import { Transform } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startUpstream } from '../../test-support/upstream.js';
import { startTestProxy } from './pipeline-test-support.js';
import type { Stage } from './stage.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!().catch(() => undefined);
});

async function upstream() {
  const up = await startUpstream();
  closers.push(() => up.close());
  return up;
}

async function proxyFor(options: Parameters<typeof startTestProxy>[0]) {
  const started = await startTestProxy(options);
  closers.push(() => started.proxy.stop());
  return started;
}

/** One request on an open socket; resolves with the response's status and body (Content-Length or chunked). */
function exchangeOn(socket: net.Socket, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (data: Buffer) => {
      buf = Buffer.concat([buf, data]);
      const headEnd = buf.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const head = buf.subarray(0, headEnd).toString('latin1');
      const body = responseBody(head, buf.subarray(headEnd + 4));
      if (body === undefined) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve({ status: Number(head.split(' ')[1]), body });
    };
    const onClose = () => reject(new Error(`the connection closed during ${path}`));
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
  });
}

/** The whole body once it has arrived, else undefined. */
function responseBody(head: string, rest: Buffer): string | undefined {
  if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    return rest.length >= length ? rest.subarray(0, length).toString() : undefined;
  }
  let body = '';
  for (let at = 0; ; ) {
    const lineEnd = rest.indexOf('\r\n', at);
    if (lineEnd < 0) return undefined;
    const size = parseInt(rest.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) return rest.length >= lineEnd + 4 ? body : undefined;
    if (rest.length < lineEnd + 2 + size + 2) return undefined;
    body += rest.subarray(lineEnd + 2, lineEnd + 2 + size).toString();
    at = lineEnd + 2 + size + 2;
  }
}

/** Upper-cases ASCII letters chunk by chunk, as they pass: no chunk is held back. */
function upperCaser(): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'));
    },
  });
}

describe('live configuration', () => {
  it('replaceConfig judges the next request on the same keep-alive connection by the new filters', async () => {
    const up = await upstream();
    const { proxy, port, entries, entriesAtLeast } = await proxyFor({ targetUrl: up.url });
    const socket = net.connect(port, '127.0.0.1');
    closers.push(async () => socket.destroy());
    await new Promise<void>((r) => socket.once('connect', r));
    let closed = false;
    socket.once('close', () => (closed = true));

    expect(await exchangeOn(socket, '/a/1')).toEqual({ status: 200, body: 'hello from /a/1' });
    await entriesAtLeast(1);
    proxy.replaceConfig({ excludePaths: ['/a/*'] });
    expect(await exchangeOn(socket, '/a/2')).toEqual({ status: 200, body: 'hello from /a/2' });
    expect(await exchangeOn(socket, '/b/3')).toEqual({ status: 200, body: 'hello from /b/3' });
    await entriesAtLeast(2);

    expect(closed).toBe(false);
    expect(up.requests.map((r) => r.url)).toEqual(['/a/1', '/a/2', '/b/3']);
    // /a/2 was forwarded but, under the new filters, not recorded; /b/3 (later) was.
    expect(entries.map((e) => new URL(e.entry.request.url).pathname)).toEqual(['/a/1', '/b/3']);
  });
});

describe('stages on the forwarder', () => {
  it('runs for exchanges the filters leave unrecorded too: the direct forwarder sends them, with its Via mark', async () => {
    const up = await upstream();
    const { port, entriesAtLeast } = await proxyFor({ targetUrl: up.url, filters: { excludePaths: ['/skip'] } });
    expect((await fetch(`http://127.0.0.1:${port}/skip`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/json`)).status).toBe(200);
    expect((await entriesAtLeast(1)).map((e) => new URL(e.entry.request.url).pathname)).toEqual(['/json']);
    expect(up.requests.map((r) => [r.url, /^1\.1 traffic-recorder-[0-9a-f]{12}$/.test(String(r.headers.via))])).toEqual([
      ['/skip', true],
      ['/json', true],
    ]);
  });

  it('a body stage streams both bodies through a Transform, chunk by chunk, never buffering a whole body', async () => {
    // Each side sends its next chunk only once the previous one came out of the proxy transformed: a stage (or the
    // plumbing) that buffered a body until its end would stall this exchange.
    const upperBodies: Stage = { name: 'upper', requestBody: () => upperCaser(), responseBody: () => upperCaser() };
    let received = '';
    const server = http.createServer((req, res) => {
      req.setEncoding('latin1');
      req.on('data', (text: string) => {
        received += text;
        if (received === 'ONE,') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('abc,');
        }
      });
      req.on('end', () => res.end('def'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => (server.closeAllConnections(), server.close(r))));
    const { port, entriesAtLeast } = await proxyFor({ targetUrl: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, stages: [upperBodies] });

    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/lockstep', headers: { 'transfer-encoding': 'chunked' } });
      req.on('error', reject);
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('latin1');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (text === 'ABC,') req.end('two');
        });
        res.on('end', () => resolve(text));
      });
      req.write('one,');
    });

    expect(body).toBe('ABC,DEF');
    expect(received).toBe('ONE,TWO');
    const [recorded] = await entriesAtLeast(1);
    // The entry keeps the request as the client sent it and the response as the client got it.
    expect(Buffer.concat([recorded!.bodies.request as Buffer].flat()).toString()).toBe('one,two');
    expect(Buffer.concat([recorded!.bodies.response as Buffer].flat()).toString()).toBe('ABC,DEF');
  });

  it('a response-head stage adds a header the client gets and the entry records', async () => {
    const up = await upstream();
    const tag: Stage = { name: 'tag', onResponseHead: (_exchange, head) => void head.headers.push('X-Added-By', 'pipeline') };
    const { port, entriesAtLeast } = await proxyFor({ targetUrl: up.url, stages: [tag] });
    const res = await fetch(`http://127.0.0.1:${port}/json`);
    expect(res.headers.get('x-added-by')).toBe('pipeline');
    expect(await res.json()).toMatchObject({ ok: true });
    const [recorded] = await entriesAtLeast(1);
    expect(recorded!.entry.response?.headers).toContainEqual(['X-Added-By', 'pipeline']);
  });

  it('a stage answers locally: the upstream never sees the request, the answer is recorded, completion is seen', async () => {
    const up = await upstream();
    const completed: string[] = [];
    const teapot: Stage = {
      name: 'teapot',
      answerLocally: (exchange) => (exchange.url.pathname === '/teapot' ? { status: 418, message: "I'm a teapot", text: 'short and stout\n' } : undefined),
      onComplete: (exchange, captured) => void completed.push(`${exchange.record ? 'recorded' : 'unrecorded'} ${captured?.response?.statusCode}`),
    };
    const { port, entriesAtLeast } = await proxyFor({ targetUrl: up.url, stages: [teapot] });
    const res = await fetch(`http://127.0.0.1:${port}/teapot`);
    expect(res.status).toBe(418);
    expect(await res.text()).toBe('short and stout\n');
    expect((await fetch(`http://127.0.0.1:${port}/json`)).status).toBe(200);
    const recorded = await entriesAtLeast(2);
    expect(recorded.map((e) => e.entry.response?.statusCode)).toEqual([418, 200]);
    expect(up.requests.map((r) => r.url)).toEqual(['/json']);
    expect(completed).toEqual(['recorded 418', 'recorded 200']);
  });

  it('a stage that throws fails only its own exchange, with words naming it; the next exchange is served', async () => {
    const up = await upstream();
    const failing: Stage = {
      name: 'flaky',
      onRequestHead: (exchange) => {
        if (exchange.url.pathname === '/boom-head') throw new Error('head broke');
      },
      onResponseHead: (exchange) => {
        if (exchange.url.pathname === '/boom-response') throw new Error('response head broke');
      },
      responseBody: (exchange) =>
        exchange.url.pathname === '/boom-body'
          ? new Transform({ transform: (_chunk, _encoding, done) => done(new Error('body broke')) })
          : undefined,
    };
    const { port, entriesAtLeast } = await proxyFor({ targetUrl: up.url, stages: [failing] });
    const head = await fetch(`http://127.0.0.1:${port}/boom-head`);
    expect(head.status).toBe(500);
    expect(await head.text()).toBe('Traffic Recorder: the pipeline stage "flaky" failed: head broke\n');
    const response = await fetch(`http://127.0.0.1:${port}/boom-response`);
    expect(response.status).toBe(502);
    expect(await response.text()).toContain('the pipeline stage "flaky" failed: response head broke');
    await expect(fetch(`http://127.0.0.1:${port}/boom-body`).then((r) => r.text())).rejects.toThrow();
    expect((await fetch(`http://127.0.0.1:${port}/json`)).status).toBe(200);
    const recorded = await entriesAtLeast(4);
    // By path: the reset exchange's entry and the next one's may complete in either order.
    const rows = recorded.map((e) => [new URL(e.entry.request.url).pathname, e.entry.response?.statusCode, e.entry.error?.code] as const);
    expect(rows.sort((a, b) => a[0].localeCompare(b[0]))).toEqual([
      ['/boom-body', 200, 'STAGE_FAILED'],
      ['/boom-head', 500, undefined],
      ['/boom-response', 502, 'STAGE_FAILED'],
      ['/json', 200, undefined],
    ]);
    expect(recorded.find((e) => e.entry.request.url.endsWith('/boom-response'))?.entry.error?.message).toBe('the pipeline stage "flaky" failed: response head broke');
  });
});

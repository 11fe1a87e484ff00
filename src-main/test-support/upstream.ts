/**
 * A real upstream for integration tests and benchmarks, on 127.0.0.1: JSON, compressed bodies, large bodies,
 * echo, arbitrary status, and a route that never answers. Optionally HTTPS with a self-signed certificate.
 */
import http from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { selfSignedCert } from './tls-fixtures.js';

export interface UpstreamRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface Upstream {
  url: string;
  port: number;
  requests: UpstreamRequest[];
  /** PEM of the self-signed certificate (https upstreams only). */
  certPem?: string;
  close(): Promise<void>;
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const url = new URL(req.url ?? '/', 'http://upstream');
  const path = url.pathname;
  if (path === '/json') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'X-Upstream': 'one', 'x-upstream': 'two' });
    res.end(JSON.stringify({ ok: true, path, query: url.search }));
  } else if (path === '/gzip') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    res.end(zlib.gzipSync(JSON.stringify({ encoded: 'gzip', path })));
  } else if (path === '/br') {
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Encoding': 'br' });
    res.end(zlib.brotliCompressSync(Buffer.from('brotli body ✓ '.repeat(100))));
  } else if (path === '/big') {
    const size = Number(url.searchParams.get('size') ?? 3 * 1024 * 1024);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const part = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += part.length;
        if (!res.write(part)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  } else if (path === '/bytes') {
    const size = Number(url.searchParams.get('size') ?? 1024);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
    res.end(Buffer.alloc(size, 120));
  } else if (path === '/echo') {
    res.writeHead(200, { 'Content-Type': req.headers['content-type'] ?? 'application/octet-stream' });
    res.end(body);
  } else if (path.startsWith('/status/')) {
    const code = Number(path.slice('/status/'.length));
    res.writeHead(code, { 'Content-Type': 'text/plain' });
    res.end(`status ${code}`);
  } else if (path === '/hang') {
    // Never answers: for upstream timeouts.
  } else {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`hello from ${path}`);
  }
}

export async function startUpstream(options: { https?: boolean } = {}): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handle(req, res, body);
    });
  };
  let certPem: string | undefined;
  let server: http.Server | https.Server;
  if (options.https) {
    const tls = await selfSignedCert();
    certPem = tls.cert;
    server = https.createServer({ key: tls.key, cert: tls.cert }, listener);
  } else {
    server = http.createServer(listener);
  }
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${options.https ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    certPem,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A plain HTTP upstream on 127.0.0.1 answering with `handler`: its URL, and a close that ends open connections too. */
export async function startHandlerUpstream(handler: http.RequestListener): Promise<{ url: string; server: http.Server; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port of 127.0.0.1 that nothing listens on right now (for "the upstream is down"). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

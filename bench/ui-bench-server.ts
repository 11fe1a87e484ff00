/**
 * A small local stand-in for the recorder server, enough for the renderer: the built UI under the same CSP,
 * the session list, paged entry summaries, body search, and the WebSocket stream (batch frames). The point
 * of the UI bench is the renderer, so entries are generated, not recorded.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';
import type { Entry, Session, StreamMessage } from '../src-shared/model.js';

const CSP = "default-src 'self'; script-src 'self'; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'";
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.ttf': 'font/ttf' };
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = [200, 200, 200, 201, 204, 301, 304, 400, 404, 500];
const HOSTS = ['api.example.com', 'auth.example.com', 'cdn.example.net', 'orders.internal'];

export const SESSION_ID = 'bench-session';

export function makeEntry(n: number): Entry {
  const host = HOSTS[n % HOSTS.length] as string;
  const path = `/api/items/${n}?page=${n % 7}`;
  const status = STATUSES[n % STATUSES.length] as number;
  return {
    id: `e${n}`,
    sessionId: SESSION_ID,
    entryType: 'http',
    startedAt: new Date(1_700_000_000_000 + n * 10).toISOString(),
    request: {
      method: METHODS[n % METHODS.length] as string,
      url: `http://${host}${path}`,
      httpVersion: '1.1',
      headers: [['Host', host], ['User-Agent', 'bench/1.0'], ['Accept', 'application/json'], ['X-Request-Id', `req-${n}`]],
      body: { size: 0, capturedSize: 0, truncated: false },
    },
    response: {
      statusCode: status,
      statusMessage: '',
      httpVersion: '1.1',
      headers: [['Content-Type', 'application/json'], ['Content-Length', String(100 + (n % 900))], ['Date', 'Tue, 14 Nov 2023 22:13:20 GMT']],
      body: { size: 100 + (n % 900), capturedSize: 100 + (n % 900), truncated: false, contentType: 'application/json' },
    },
    durationMs: n % 500,
    timings: { dnsMs: -1, connectMs: 1, tlsMs: -1, sendMs: 0, waitMs: n % 400, recvMs: 1, totalMs: n % 500 },
    tags: n % 1000 === 0 ? ['slow'] : [],
    notes: '',
    mapLocal: false,
  };
}

export interface BenchServer {
  url: string;
  /** Stream `perSecond` new entries (each evicting the oldest, like a full FIFO) for `seconds`. */
  stream(perSecond: number, seconds: number): Promise<number>;
  close(): Promise<void>;
}

export async function startBenchServer(uiDir: string, initial: number): Promise<BenchServer> {
  const entries: Entry[] = [];
  for (let i = 0; i < initial; i++) entries.push(makeEntry(i));
  let next = initial;
  const now = new Date().toISOString();
  const session = (): Session => ({
    id: SESSION_ID, name: 'UI bench', mode: 'reverse', targetUrl: 'http://api.example.com', listenPort: 8081, listenHost: '127.0.0.1',
    proxyUrl: 'http://127.0.0.1:8081', namespace: 'default', status: 'running', entryCount: entries.length,
    createdAt: now, expiresAt: now, startedAt: now, filters: {},
  });
  const sockets = new Set<WebSocket>();

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (body: unknown) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname.startsWith('/api/v1/recorder/')) {
      const rest = url.pathname.slice('/api/v1/recorder'.length);
      if (rest === '/sessions') return json({ sessions: [session()], total: 1 });
      if (rest === `/${SESSION_ID}/entries`) {
        const offset = Number(url.searchParams.get('offset') ?? 0);
        const limit = Number(url.searchParams.get('limit') ?? 100);
        return json({ entries: entries.slice(offset, offset + limit), total: entries.length, offset, limit });
      }
      if (rest === `/${SESSION_ID}/entries/search`) return json({ ids: [] });
      if (rest === `/${SESSION_ID}`) return json({ session: session() });
      return res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not in the bench fake', code: 'not_found' }));
    }
    let file = url.pathname.replace(/^\/ui\/recorder\/?/, '');
    if (!file || !fs.existsSync(path.join(uiDir, file))) file = 'index.html';
    const full = path.join(uiDir, file);
    res.writeHead(200, { 'content-type': TYPES[path.extname(full)] ?? 'application/octet-stream', 'content-security-policy': CSP });
    fs.createReadStream(full).pipe(res);
  });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => [...protocols][0] ?? false });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    async stream(perSecond, seconds) {
      // Like the real server with ?batch=1: one frame about every 50 ms.
      const perFrame = Math.round(perSecond / 20);
      const frames = seconds * 20;
      let sent = 0;
      const started = Date.now();
      for (let f = 0; f < frames; f++) {
        const messages: StreamMessage[] = [];
        for (let i = 0; i < perFrame; i++) {
          const entry = makeEntry(next++);
          entries.push(entry);
          const evicted = entries.shift();
          messages.push({ type: 'entry', entry });
          if (evicted) messages.push({ type: 'entry', entry: { id: '__evict__', notes: evicted.id } });
          sent++;
        }
        const frame = JSON.stringify({ type: 'batch', messages });
        for (const ws of sockets) ws.send(frame);
        const due = started + (f + 1) * 50;
        await new Promise((r) => setTimeout(r, Math.max(0, due - Date.now())));
      }
      return sent;
    },
    close: () => new Promise<void>((resolve) => {
      for (const ws of sockets) ws.terminate();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

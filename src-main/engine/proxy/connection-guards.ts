/**
 * Guards on the sockets of one session's mockttp server, so that no connection can end the process, starve the
 * others, or sit forever. They reach into two pinned internals (re-check on every upgrade):
 *
 * - @httptoolkit/httpolyglot 3.1.0 (mockttp 4.6.5's protocol sniffer): its combo server is a net.Server whose
 *   `connectionListener` peeks at each socket's first bytes (at the start and again inside each CONNECT tunnel
 *   and each TLS layer) and hands it to a sub-server (`_httpServer`, `_tlsServer`, ...). A socket that never sends
 *   a byte waits there with no timeout; and since `_httpServer` never emits 'listening', Node never starts its
 *   connection checker, so `headersTimeout`/`requestTimeout` were not enforced either.
 * - ws 8.23 as mockttp's WebSocket passthrough uses it: the upstream WebSocket it builds on the upgraded socket has
 *   no 'error' listener until the client side of the handshake succeeds. Bad frames from the upstream before that
 *   (or an upstream answering 101 to a non-WebSocket upgrade, like `Upgrade: h2c`) threw WS_ERR_INVALID_OPCODE
 *   out of the process.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { createRequire } from 'node:module';
import net, { type Socket } from 'node:net';
import tls from 'node:tls';

export interface ConnectionLimits {
  /** A connection, or a stage inside it (CONNECT tunnel, TLS layer), that sends no first byte for this long is closed. */
  idleTimeoutMs: number;
  /** Time to receive a request's head (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** Time to receive a whole request, body included (Node's requestTimeout; 0 = none). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveTimeoutMs: number;
  /** Open client connections per session (in this process); more are refused with a 503. */
  maxConnections: number;
  /** How often Node checks the header and request timeouts. */
  timeoutCheckIntervalMs?: number;
}

interface Httpolyglot extends net.Server {
  _httpServer: HttpServer;
  connectionListener(socket: Socket): void;
}

const COUNTED = Symbol('traffic-recorder.counted');
const IDLE_TIMER = Symbol('traffic-recorder.idle-timer');
const UPGRADED = Symbol('traffic-recorder.upgraded');
type Tagged = Socket & { [COUNTED]?: true; [IDLE_TIMER]?: NodeJS.Timeout; [UPGRADED]?: true };

const ignore = () => undefined;

/** Install the limits on a combo server mockttp just created (before it listens). */
export function guardComboServer(server: net.Server, limits: ConnectionLimits, refusal: () => string): void {
  const combo = server as Httpolyglot;
  applyHttpTimeouts(combo, limits);
  let open = 0;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called back below with .call(this, ...)
  const sniff = combo.connectionListener;
  combo.connectionListener = function guardedSniff(this: Httpolyglot, socket: Socket) {
    const tagged = socket as Tagged;
    // A listener socket is seen once; the same object comes back after CONNECT and after an upgrade replay.
    if (!tagged[COUNTED] && socket instanceof net.Socket && !(socket instanceof tls.TLSSocket)) {
      tagged[COUNTED] = true;
      if (open >= limits.maxConnections) {
        refuse(socket, refusal());
        return;
      }
      open++;
      socket.once('close', () => open--);
    }
    armIdleTimer(tagged, limits.idleTimeoutMs);
    sniff.call(this, socket);
  };
  // Handed to a sub-server (HTTP, TLS, unknown protocol): its own timeouts apply from here on.
  server.on('connection', function disarm(this: unknown, socket: Socket) {
    if (this !== server) disarmIdleTimer(socket);
  });
}

function applyHttpTimeouts(combo: Httpolyglot, limits: ConnectionLimits): void {
  const http = combo._httpServer;
  http.headersTimeout = limits.headersTimeoutMs;
  http.requestTimeout = limits.requestTimeoutMs;
  http.keepAliveTimeout = limits.keepAliveTimeoutMs;
  if (limits.timeoutCheckIntervalMs) (http as HttpServer & { connectionsCheckingInterval: number }).connectionsCheckingInterval = limits.timeoutCheckIntervalMs;
  // Node starts its header/request timeout checker on 'listening', which a sub-server never emits by itself.
  http.emit('listening');
  // Node's checker does not end a request whose body stops coming once it is being handled (the clientError it
  // raises goes to mockttp's handler, which leaves the socket open): a timer of our own ends it.
  if (limits.requestTimeoutMs > 0) http.prependListener('request', (req: IncomingMessage) => armRequestTimer(req, limits.requestTimeoutMs));
  combo.once('close', () => {
    for (const symbol of Object.getOwnPropertySymbols(http)) {
      if (symbol.description === 'http.server.connectionsCheckingInterval') clearInterval((http as unknown as Record<symbol, NodeJS.Timeout>)[symbol]);
    }
  });
}

/** A request not received whole within `ms` of its head: its connection is closed (capture records the abort). */
function armRequestTimer(req: IncomingMessage, ms: number): void {
  if (req.complete) return;
  const timer = setTimeout(() => {
    if (!req.complete) req.socket.destroy();
  }, ms);
  timer.unref();
  const done = () => clearTimeout(timer);
  req.once('end', done);
  req.once('close', done);
}

function armIdleTimer(socket: Tagged, ms: number): void {
  if (socket[IDLE_TIMER] || !(ms > 0)) return;
  const timer = setTimeout(() => socket.destroy(), ms);
  timer.unref();
  socket[IDLE_TIMER] = timer;
  socket.once('close', () => disarmIdleTimer(socket));
}

function disarmIdleTimer(socket: Tagged): void {
  const timer = socket[IDLE_TIMER];
  if (!timer) return;
  clearTimeout(timer);
  socket[IDLE_TIMER] = undefined;
}

/** A clear refusal for a connection over the cap; its request bytes are read and dropped so the 503 is not lost to a reset. */
function refuse(socket: Socket, text: string): void {
  socket.on('error', ignore);
  socket.resume();
  const body = Buffer.from(text, 'utf8');
  socket.end(rawResponse(503, 'Service Unavailable', body));
  setTimeout(() => socket.destroy(), 2_000).unref();
}

/** A complete HTTP/1.1 response that closes the connection, for sockets no HTTP server owns any more. */
export function rawResponse(status: number, message: string, body: Buffer): Buffer {
  const head = `HTTP/1.1 ${status} ${message}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

// ---- upgrades ----

/** True for an upgrade offer that names WebSocket (the only upgrade the proxy carries through). */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return /(^|,)\s*websocket\s*(,|$)/i.test(req.headers.upgrade ?? '');
}

const HOP_UPGRADE = new Set(['upgrade', 'http2-settings']);

/**
 * Parse an upgrade request we do not carry (h2c, TLS/1.0, ...) again as a plain request without the offer, as RFC
 * 9110 7.8 lets a proxy do. Node handed us the socket with its parser detached: we put the request head back in
 * front of the bytes that followed it and give the socket to the server again, like a CONNECT tunnel.
 */
export function replayWithoutUpgrade(server: net.Server, req: IncomingMessage, socket: Socket, head: Buffer): void {
  let text = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`;
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_UPGRADE.has(name)) continue;
    let value = raw[i + 1]!;
    if (name === 'connection') {
      value = value
        .split(',')
        .map((token) => token.trim())
        .filter((token) => token && !HOP_UPGRADE.has(token.toLowerCase()))
        .join(', ');
      if (!value) continue;
    }
    text += `${raw[i]}: ${value}\r\n`;
  }
  socket.unshift(Buffer.concat([Buffer.from(`${text}\r\n`, 'latin1'), head]));
  server.emit('connection', socket);
}

// ---- mockttp's upstream WebSockets ----

/** The client socket of the upgrade mockttp is handling, so the upstream WebSocket it opens can be tied to it. */
const upgradeContext = new AsyncLocalStorage<Socket>();

export function runInUpgrade(socket: Socket, next: () => void): void {
  socket.once('ws-upgrade', () => {
    (socket as Tagged)[UPGRADED] = true;
  });
  upgradeContext.run(socket, next);
}

interface WsLike {
  _isServer?: boolean;
  _url?: string;
  on(event: 'error', listener: (e: Error) => void): unknown;
  terminate(): void;
}

let wsGuarded = false;

/**
 * Every WebSocket mockttp builds on an upgraded upstream socket (client mode, no URL of its own) gets an error
 * listener at once, and is closed when its client goes away before the client side of the handshake succeeded
 * (mockttp would otherwise keep that upstream connection open, with nobody reading it).
 */
export function guardMockttpWebSockets(mockttpDist: string): void {
  if (wsGuarded) return;
  wsGuarded = true;
  const require = createRequire(`${mockttpDist}/`);
  const WebSocket = require(require.resolve('ws', { paths: [mockttpDist] })) as { prototype: { setSocket: (...args: unknown[]) => void } };
  const setSocket = WebSocket.prototype.setSocket;
  WebSocket.prototype.setSocket = function guardedSetSocket(this: WsLike, ...args: unknown[]) {
    setSocket.apply(this, args);
    if (this._isServer !== false || this._url !== undefined) return;
    this.on('error', () => this.terminate());
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc needs it (the store's type differs under the lint program)
    const client = upgradeContext.getStore() as Tagged | undefined;
    if (!client) return;
    if (client.destroyed) this.terminate();
    else client.once('close', () => !client[UPGRADED] && this.terminate());
  };
}

/**
 * WebSocket upgrades on the raw client socket, before mockttp proxies them: the checks every request passes
 * (a valid handshake, the loop check) and an `http` entry of the handshake, whose answer (101, or the upstream's
 * refusal) is read from what mockttp writes to the socket. Messages are not recorded here.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { HeaderPair } from '../../../src-shared/model.js';
import { BodyAccumulator, toBuffer } from '../capture/body-accumulator.js';
import { pairHeaders, type CapturedExchange, type CapturedResponseHead } from '../capture/http-capture.js';
import { rawResponse } from '../proxy/connection-guards.js';

const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;
const MAX_HEAD = 64 * 1024;

/**
 * Why mockttp's WebSocket server would refuse this client after the upstream accepted it (then the upstream
 * connection would be left open with nobody reading it), or undefined for a valid handshake.
 */
export function invalidWebSocketHandshake(req: IncomingMessage): string | undefined {
  if (req.method !== 'GET') return `a WebSocket handshake must be a GET, not ${req.method}`;
  const version = req.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return 'a WebSocket handshake needs Sec-WebSocket-Version 13';
  if (!WS_KEY.test(req.headers['sec-websocket-key'] ?? '')) return 'a WebSocket handshake needs a valid Sec-WebSocket-Key';
  return undefined;
}

/** Answer and close an upgrade socket that no HTTP server owns any more. */
export function refuseUpgrade(socket: Socket, status: number, message: string, text: string): void {
  socket.end(rawResponse(status, message, Buffer.from(text, 'utf8')));
  setTimeout(() => socket.destroy(), 2_000).unref();
}

export interface HandshakeCapture {
  bodyLimit: number;
  url: string;
  onComplete: (exchange: CapturedExchange) => void;
}

/** Record the handshake: complete once the answer's head has been written, or when the socket closes without one. */
export function captureHandshake(req: IncomingMessage, socket: Socket, options: HandshakeCapture): void {
  const exchange = handshakeExchange(req, options);
  let head: Buffer = Buffer.alloc(0);
  let done = false;
  const finish = (response: CapturedResponseHead | undefined) => {
    if (done) return;
    done = true;
    exchange.end = performance.now();
    if (response) exchange.response = response;
    else exchange.error = { code: 'ABORTED', message: 'the connection closed before the upgrade was answered (the upstream failed or the client left)' };
    options.onComplete(exchange);
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called back below with .apply(this, ...)
  const write = socket.write;
  socket.write = function captureHead(this: Socket, ...args: unknown[]) {
    if (!done) {
      const bytes = toBuffer(args[0], typeof args[1] === 'string' ? (args[1] as BufferEncoding) : undefined);
      if (bytes) head = Buffer.concat([head, bytes]);
      const end = head.indexOf('\r\n\r\n');
      if (end >= 0) finish(parseResponseHead(head.subarray(0, end).toString('latin1')));
      else if (head.length > MAX_HEAD) finish(undefined);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  };
  socket.once('close', () => finish(undefined));
}

function handshakeExchange(req: IncomingMessage, options: HandshakeCapture): CapturedExchange {
  const requestBody = new BodyAccumulator(options.bodyLimit);
  requestBody.ended = true;
  const responseBody = new BodyAccumulator(options.bodyLimit);
  responseBody.ended = true;
  return {
    startedAt: Date.now(),
    start: performance.now(),
    end: 0,
    method: req.method ?? 'GET',
    url: options.url,
    httpVersion: req.httpVersion,
    requestHeaders: pairHeaders(req.rawHeaders),
    requestBody,
    responseBody,
    remoteAddress: req.socket.remoteAddress,
    remotePort: req.socket.remotePort,
  };
}

function parseResponseHead(text: string): CapturedResponseHead | undefined {
  const lines = text.split('\r\n');
  const status = /^HTTP\/\d(?:\.\d)? (\d{3})(?: (.*))?$/.exec(lines[0] ?? '');
  if (!status) return undefined;
  const headers: HeaderPair[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { statusCode: Number(status[1]), statusMessage: status[2] ?? '', headers };
}

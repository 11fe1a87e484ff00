/**
 * The few places where we reach inside mockttp 4.6.5 (pinned exactly; re-check on every upgrade):
 *
 * 1. mockttp's `start()` listens on every interface. A recorder must bind 127.0.0.1 unless told otherwise, and
 *    mockttp offers no host option, so we wrap `createComboServer` (called synchronously at the top of `start()`)
 *    and make the server it returns listen on the host we chose.
 * 2. The same wrapper hands each session every HTTP request (including those inside intercepted tunnels), on the
 *    raw Node objects, instead of mockttp's request handling: the session's pipeline and our forwarder answer every
 *    one, so mockttp's rule engine never sees a request. Blind TLS/raw tunnels pass our tap before mockttp opens them.
 * 3. (Gone: mockttp's response tracking stream, #209, only exists on its own request path, which we no longer take.)
 * 4. Upgrades and connection limits: see connection-guards.ts (WebSocket upgrades pass our tap first; other
 *    upgrade offers are dropped and the request handled as a plain one; idle, header, request and keep-alive
 *    timeouts and a connection cap on every socket of the server).
 * 5. mockttp's loop check compares only the outgoing socket's local address/port with the incoming socket's
 *    remote address/port, and keeps closed sockets' cached ports. On loopback under load Linux reuses ephemeral
 *    ports, so real clients get a false "Passthrough loop detected" 500. We require the full 4-tuple of a live
 *    socket to match, which a real loop always does.
 * 6. MITM host lists: mockttp compiles hostnames into regex-based URL patterns (super-linear on hostile input);
 *    sessions/mitm-host-scope.ts replaces its `shouldPassThrough` decision with our linear-time globs.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server as NetServer, Socket } from 'node:net';
import { normalizeIp } from './addresses.js';
import {
  guardComboServer,
  guardMockttpWebSockets,
  isWebSocketUpgrade,
  replayWithoutUpgrade,
  runInUpgrade,
  type ConnectionLimits,
} from './connection-guards.js';

const require = createRequire(import.meta.url);
const mockttpDist = path.dirname(require.resolve('mockttp'));

/** Every HTTP request the server receives; the tap answers it (mockttp's request handling is not called). */
export type RequestTap = (req: IncomingMessage, res: ServerResponse) => void;
/** A WebSocket upgrade request, before mockttp proxies it; `next` hands it to mockttp. */
export type UpgradeTap = (req: IncomingMessage, socket: Socket, head: Buffer, next: () => void) => void;
export type TunnelTap = (kind: 'tls' | 'raw', socket: Socket, hostname: string, port: number | undefined, next: () => void) => void;

/** A TLS handshake a client broke off; `tunnel` is the CONNECT target ("host:port") when it came through one. */
export type TlsFailureTap = (failure: { cause: string; sni?: string; tunnel?: string; remoteAddress?: string; remotePort?: number }) => void;

export interface ServerHooks {
  listenHost: string;
  onRequest: RequestTap;
  onTunnel: TunnelTap;
  onTlsFailure?: TlsFailureTap;
  onUpgrade?: UpgradeTap;
  connectionLimits?: ConnectionLimits;
  /** What a connection over the cap is told (in a 503). */
  connectionRefusal?: () => string;
}

interface TlsFailureEvent {
  failureCause?: string;
  tlsMetadata?: { sniHostname?: string };
  remoteIpAddress?: string;
  remotePort?: number;
}

interface ComboServerOptions {
  requestListener: (req: IncomingMessage, res: ServerResponse) => void;
  tlsClientErrorListener: (socket: Socket, failure: TlsFailureEvent) => void;
  tlsPassthroughListener: (socket: Socket, hostname: string, port?: number) => void;
  rawPassthroughListener: (socket: Socket, hostname: string, port?: number) => void;
}

interface ListenableServer {
  listen(...args: unknown[]): unknown;
  address(): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  addListener(event: string, listener: (...args: never[]) => void): unknown;
}

const socketExtensions = require(path.join(mockttpDist, 'util', 'socket-extensions.js')) as {
  TlsSetupCompleted: symbol;
  LastTunnelAddress: symbol;
  LastHopEncrypted: symbol;
  Expects100Continue: symbol;
};

/** The CONNECT (or SOCKS) destination a socket arrived through, as mockttp's combo server tagged it. */
export function socketTunnel(socket: Socket): { address: string; encrypted: boolean } | undefined {
  const tagged = socket as Socket & Record<symbol, unknown>;
  const address = tagged[socketExtensions.LastTunnelAddress];
  if (typeof address !== 'string' || address === '') return undefined;
  return { address, encrypted: tagged[socketExtensions.LastHopEncrypted] === true };
}

/** mockttp's combo server answers `checkContinue` by marking the request and emitting it as a normal one. */
export function expectsContinue(req: IncomingMessage): boolean {
  return (req as IncomingMessage & Record<symbol, unknown>)[socketExtensions.Expects100Continue] === true;
}

let pendingHooks: ServerHooks | undefined;
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  const combo = require(path.join(mockttpDist, 'server', 'http-combo-server.js')) as {
    createComboServer: (options: ComboServerOptions) => Promise<ListenableServer>;
  };
  const original = combo.createComboServer;
  combo.createComboServer = async (options: ComboServerOptions) => {
    const hooks = pendingHooks;
    pendingHooks = undefined;
    if (!hooks) return original(options);
    const { tlsPassthroughListener, rawPassthroughListener, tlsClientErrorListener } = options;
    const server = await original({
      ...options,
      tlsClientErrorListener: (socket, failure) => {
        tlsClientErrorListener(socket, failure);
        // Errors after a completed handshake are ordinary client errors, not certificate rejections.
        const tagged = socket as Socket & Record<symbol, unknown>;
        if (!hooks.onTlsFailure || tagged[socketExtensions.TlsSetupCompleted]) return;
        const parent = (socket as Socket & { _parent?: Record<symbol, unknown> })._parent;
        const tunnel = (tagged[socketExtensions.LastTunnelAddress] ?? parent?.[socketExtensions.LastTunnelAddress]) as string | undefined;
        hooks.onTlsFailure({
          cause: failure.failureCause ?? 'unknown',
          sni: failure.tlsMetadata?.sniHostname,
          tunnel,
          remoteAddress: failure.remoteIpAddress,
          remotePort: failure.remotePort,
        });
      },
      requestListener: (req, res) => hooks.onRequest(req, res),
      tlsPassthroughListener: (socket, hostname, port) =>
        hooks.onTunnel('tls', socket, hostname, port, () => tlsPassthroughListener(socket, hostname, port)),
      rawPassthroughListener: (socket, hostname, port) =>
        hooks.onTunnel('raw', socket, hostname, port, () => rawPassthroughListener(socket, hostname, port)),
    });
    if (hooks.connectionLimits) {
      guardComboServer(server as unknown as NetServer, hooks.connectionLimits, hooks.connectionRefusal ?? (() => 'Traffic Recorder: too many open connections\n'));
    }
    tapUpgrades(server, hooks);
    const listen = server.listen.bind(server);
    server.listen = (port: unknown) => listen(port, hooks.listenHost);
    // mockttp reads its port (a getsockname syscall) on every request: the bound address never changes.
    const address = server.address.bind(server);
    let bound: unknown;
    server.address = () => (bound ??= address() ?? undefined) ?? null;
    return server;
  };

  const socketUtil = require(path.join(mockttpDist, 'util', 'socket-util.js')) as {
    isSocketLoop: (outgoing: Set<Socket>, incoming: Socket) => boolean;
  };
  guardMockttpWebSockets(mockttpDist);
  socketUtil.isSocketLoop = (outgoing, incoming) => {
    const incomingLocalPort = incoming.localPort;
    for (const out of outgoing) {
      // The remote port first: upstream sockets almost never point at our own listening port.
      if (out.remotePort !== incomingLocalPort || out.destroyed) continue;
      if (
        out.localPort === incoming.remotePort &&
        normalizeIp(out.localAddress) === normalizeIp(incoming.remoteAddress) &&
        normalizeIp(out.remoteAddress) === normalizeIp(incoming.localAddress)
      ) {
        return true;
      }
    }
    return false;
  };
}

type UpgradeListener = (req: IncomingMessage, socket: Socket, head: Buffer) => void;

/**
 * mockttp subscribes its WebSocket handler with `server.on('upgrade', ...)` right after creating the server: put our
 * tap in front of it. Only WebSocket upgrades reach mockttp; any other offer is dropped (see replayWithoutUpgrade).
 */
function tapUpgrades(server: ListenableServer, hooks: ServerHooks): void {
  const on = server.on.bind(server);
  const tapped = (event: string, listener: (...args: never[]) => void) => {
    if (event !== 'upgrade') return on(event, listener);
    const mockttpUpgrade = listener as unknown as UpgradeListener;
    return on(event, ((req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (!isWebSocketUpgrade(req)) {
        replayWithoutUpgrade(server as unknown as NetServer, req, socket, head);
        return;
      }
      // Nobody else listens on this socket until mockttp has preprocessed the request.
      socket.on('error', () => socket.destroy());
      const next = () => runInUpgrade(socket, () => mockttpUpgrade(req, socket, head));
      if (hooks.onUpgrade) hooks.onUpgrade(req, socket, head, next);
      else next();
    }));
  };
  server.on = tapped;
  server.addListener = tapped;
}

/**
 * Run `start` (which must call mockttp's `server.start(port)` synchronously first thing) with these hooks
 * attached to the server it creates.
 */
export async function startWithHooks<T>(hooks: ServerHooks, start: () => Promise<T>): Promise<T> {
  install();
  if (pendingHooks) throw new Error('internal: overlapping mockttp starts');
  pendingHooks = hooks;
  try {
    return await start();
  } finally {
    pendingHooks = undefined;
  }
}

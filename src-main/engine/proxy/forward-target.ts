/**
 * Where a request goes upstream, worked out from the raw request the way mockttp's passthrough did
 * (request-utils preprocessRequest + thenForwardTo's destination transforms), so the forwarder sends what a
 * proxy built on mockttp would:
 *
 * - reverse sessions: the session's target; the path is the target's path prefix + the request's path, and
 *   the Host header names the target (as thenForwardTo's `replaceHost` does); `OPTIONS *` stays `OPTIONS *`;
 * - forward sessions, absolute-form requests (`GET http://host/path`): that URL, minus the proxy-only
 *   `Proxy-Connection` / `Proxy-Authorization` headers;
 * - forward sessions, origin-form requests inside a CONNECT tunnel (MITM): the tunnel's destination, over TLS
 *   when the client spoke TLS to us;
 * - forward sessions, origin-form requests outside a tunnel that are not aimed at the proxy itself (a transparent
 *   proxy's traffic): the host the Host header names.
 *
 * Anything else (no usable destination, a request target that is neither a path nor an http(s) URL) returns
 * undefined: the session refuses it with a 400 in words.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Socket } from 'node:net';
import { isLoopbackHost, normalizeIp } from './addresses.js';
import { socketTunnel } from './mockttp-hooks.js';

export interface ForwardTarget {
  protocol: 'http:' | 'https:';
  /** Name or IP to connect to (IPv6 without brackets). */
  hostname: string;
  port: number;
  /** Request target sent upstream (origin-form). */
  path: string;
  /** The request's raw headers as sent upstream (flat name, value, name, value...). */
  headers: string[];
  /** TLS server name (never an IP). */
  servername?: string;
}

export interface ReverseTarget {
  protocol: 'http:' | 'https:';
  hostname: string;
  port: number;
  /** `host[:port]` as written in the Host header. */
  host: string;
  /** Path prefix without a trailing slash ('' for none). */
  prefix: string;
}

export function reverseTarget(target: URL): ReverseTarget {
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error(`unsupported target protocol ${target.protocol}`);
  return {
    protocol: target.protocol,
    hostname: stripBrackets(target.hostname),
    port: target.port ? Number(target.port) : target.protocol === 'https:' ? 443 : 80,
    host: target.host,
    prefix: target.pathname.replace(/\/+$/, ''),
  };
}

/** The path and query a reverse proxy forwards: the request target as is, or that of an absolute-form one. */
export function reversePath(raw: string): string | undefined {
  if (raw.startsWith('/')) return raw;
  const absolute = parseAbsolute(raw);
  return absolute ? `${absolute.pathname}${absolute.search}` : undefined;
}

export function forReverse(req: IncomingMessage, target: ReverseTarget): ForwardTarget | undefined {
  const raw = req.url ?? '/';
  // Asterisk-form asks about the server as a whole (RFC 9112 3.2.4): no path prefix applies to it.
  const asterisk = raw === '*' && req.method === 'OPTIONS';
  const path = asterisk ? '*' : reversePath(raw);
  if (path === undefined) return undefined;
  return {
    protocol: target.protocol,
    hostname: target.hostname,
    port: target.port,
    path: asterisk ? path : `${target.prefix}${path}`,
    headers: withHost(req.rawHeaders, target.host),
    servername: isIP(target.hostname) ? undefined : target.hostname,
  };
}

export function forForward(req: IncomingMessage): ForwardTarget | undefined {
  const target = forwardDestination(req);
  if (target && isLoopbackHost(target.hostname)) {
    // A client on another machine (or container) asking for "localhost" means its own machine, as in mockttp:
    // connect there, but leave the Host header alone.
    const client = normalizeIp(req.socket.remoteAddress);
    if (client && !isLoopbackHost(client)) target.hostname = client;
  }
  return target;
}

function forwardDestination(req: IncomingMessage): ForwardTarget | undefined {
  const raw = req.url ?? '';
  if (raw.startsWith('/')) {
    const socket = req.socket as Socket & { encrypted?: boolean };
    const tunnel = socketTunnel(socket);
    const hostHeader = headerValue(req.rawHeaders, 'host');
    // Outside a tunnel (direct hits were refused before): a transparent proxy's request names its host itself.
    const protocol = (tunnel ? tunnel.encrypted : socket.encrypted === true) ? 'https:' : 'http:';
    const address = tunnel ? tunnel.address : hostHeader;
    const destination = address === undefined ? undefined : splitHostPort(address, protocol === 'https:' ? 443 : 80);
    if (!destination) return undefined;
    const named = !isIP(destination.hostname) ? destination.hostname : hostHeader ? splitHostPort(hostHeader, 0)?.hostname : undefined;
    return {
      protocol,
      hostname: destination.hostname,
      port: destination.port,
      path: raw,
      headers: req.rawHeaders,
      servername: named && !isIP(named) ? named : undefined,
    };
  }
  const url = parseAbsolute(raw);
  if (!url) return undefined;
  const protocol = url.protocol as 'http:' | 'https:';
  const hostname = stripBrackets(url.hostname);
  return {
    protocol,
    hostname,
    port: url.port ? Number(url.port) : protocol === 'https:' ? 443 : 80,
    path: `${url.pathname}${url.search}`,
    headers: withoutProxyHeaders(req.rawHeaders),
    servername: isIP(hostname) ? undefined : hostname,
  };
}

function parseAbsolute(raw: string): URL | undefined {
  if (!/^https?:\/\//i.test(raw)) return undefined;
  try {
    const url = new URL(raw);
    return url.hostname ? url : undefined;
  } catch {
    return undefined;
  }
}

/** The raw headers with the first Host header set to `host` (added when the client sent none). */
function withHost(raw: readonly string[], host: string): string[] {
  const out = raw.slice();
  for (let i = 0; i < out.length; i += 2) {
    if (out[i]!.length === 4 && out[i]!.toLowerCase() === 'host') {
      out[i + 1] = host;
      return out;
    }
  }
  out.push('Host', host);
  return out;
}

function withoutProxyHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (lower === 'proxy-connection' || lower === 'proxy-authorization') continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

function headerValue(raw: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i + 1 < raw.length; i += 2) if (raw[i]!.toLowerCase() === lowerName) return raw[i + 1];
  return undefined;
}

export function splitHostPort(value: string, defaultPort: number): { hostname: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (!m) return undefined;
  const port = m[3] === undefined ? defaultPort : Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { hostname: (m[1] ?? m[2])!, port };
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** The destination is the listener the request came in on: it would reach us again, forever (checked before connecting). */
export function pointsAtListener(target: ForwardTarget, incoming: Socket): boolean {
  if (target.port !== incoming.localPort) return false;
  const host = normalizeIp(target.hostname.toLowerCase()) ?? '';
  const local = normalizeIp(incoming.localAddress);
  return host === local || host === '0.0.0.0' || host === '::' || (isLoopbackHost(host) && local !== undefined && isLoopbackHost(local));
}

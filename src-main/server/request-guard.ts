/**
 * Who may talk to the API: a bearer token on every call, and only requests addressed to us. Checking Host stops
 * DNS-rebinding pages from reaching a loopback server; checking Origin stops cross-site requests from a browser.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

import { WS_TOKEN_PROTOCOL_PREFIX } from '../../src-shared/contract.js';

export { WS_TOKEN_PROTOCOL_PREFIX };

export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token from `Authorization: Bearer`, or (for browsers' WebSockets, which cannot set headers) a subprotocol. */
export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const auth = headers.authorization;
  if (auth) {
    const match = /^Bearer\s+(.+)$/i.exec(auth.trim());
    return match?.[1]?.trim();
  }
  const protocols = headers['sec-websocket-protocol'];
  if (protocols) {
    for (const p of protocols.split(',')) {
      const value = p.trim();
      if (value.startsWith(WS_TOKEN_PROTOCOL_PREFIX)) return value.slice(WS_TOKEN_PROTOCOL_PREFIX.length);
    }
  }
  return undefined;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];

export interface HostPolicy {
  /** Host header values accepted (lower-case `name:port`), or undefined to accept any (wildcard bind). */
  allowedHosts: Set<string> | undefined;
}

export function buildHostPolicy(bindHost: string, port: number, extraHosts: readonly string[] = []): HostPolicy {
  const wildcard = bindHost === '0.0.0.0' || bindHost === '::';
  if (wildcard && extraHosts.length === 0) return { allowedHosts: undefined };
  const names = new Set<string>();
  const add = (name: string) => {
    const lower = name.toLowerCase();
    names.add(/:\d+$/.test(lower) && !lower.endsWith(']') ? lower : `${lower}:${port}`);
  };
  if (!wildcard) {
    for (const n of LOOPBACK_NAMES) add(n);
    add(bindHost.includes(':') ? `[${bindHost}]` : bindHost);
  }
  for (const n of extraHosts) add(n);
  return { allowedHosts: names };
}

export function hostAllowed(policy: HostPolicy, hostHeader: string | undefined): boolean {
  if (!policy.allowedHosts) return true;
  if (!hostHeader) return false;
  return policy.allowedHosts.has(hostHeader.toLowerCase());
}

/** A browser request from a page of another origin. Non-browser clients send no Origin. */
export function originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
  if (!origin) return true;
  try {
    const url = new URL(origin);
    return hostHeader !== undefined && url.host.toLowerCase() === hostHeader.toLowerCase();
  } catch {
    return false;
  }
}

/**
 * Why a request target is not in the one canonical spelling we route, or undefined when it is. The router
 * decodes percent-escapes and splits on `?` and `#` itself, so any second spelling of a path (an escaped
 * letter, an escaped slash, a dot segment, a doubled slash) could reach a route that the token check did not
 * see as such; and proxies in front of us may read such spellings differently again. Refusing them is simpler
 * and safer than agreeing with every reader on how to normalise.
 */
export function nonCanonicalTarget(target: string): string | undefined {
  if (!target.startsWith('/')) return 'the request target must be a path starting with "/" (absolute-form and "*" are not accepted)';
  const queryAt = target.indexOf('?');
  const path = queryAt === -1 ? target : target.slice(0, queryAt);
  const badChar = /[^\x21-\x7e]|[\\;#]/.exec(path);
  if (badChar) return `the path contains ${JSON.stringify(badChar[0])}, which is not allowed`;
  if (path.includes('//')) return 'the path contains an empty segment ("//")';
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) return 'the path contains a dot segment';
  return percentEscapeProblem(path);
}

// Characters that must never appear escaped: unreserved ones have a plain spelling (RFC 3986 §6.2.2.2), the
// others change what the path means once decoded.
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const MEANINGFUL = new Set(['/', '\\', '%', ';', '?', '#']);

function percentEscapeProblem(path: string): string | undefined {
  for (let at = path.indexOf('%'); at !== -1; at = path.indexOf('%', at + 1)) {
    const hex = path.slice(at + 1, at + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return `the path has a malformed percent-escape at ${JSON.stringify(path.slice(at, at + 3))}`;
    const code = parseInt(hex, 16);
    const char = String.fromCharCode(code);
    if (code < 0x20 || code === 0x7f) return `the path contains an escaped control character (%${hex})`;
    if (UNRESERVED.test(char)) return `the path escapes "${char}" (%${hex}); spell it plainly`;
    if (MEANINGFUL.has(char)) return `the path contains an escaped "${char}" (%${hex}), which is ambiguous`;
  }
  return undefined;
}

/** Routes anyone may load without the token: the UI shell (it asks for the token itself) and the health check. */
export function isPublicRoute(routePattern: string | undefined): boolean {
  if (routePattern === undefined) return false;
  return routePattern === '/' || routePattern === '/ui/recorder' || routePattern.startsWith('/ui/recorder/') || routePattern === '/api/v1/health';
}

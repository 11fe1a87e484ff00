/**
 * Who may talk to the API: a bearer token on every call, and only requests addressed to us. Checking Host stops
 * DNS-rebinding pages from reaching a loopback server; checking Origin stops cross-site requests from a browser.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const WS_TOKEN_PROTOCOL_PREFIX = 'traffic-recorder.bearer.';

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

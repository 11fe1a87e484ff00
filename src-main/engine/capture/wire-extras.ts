/**
 * The parts of an exchange that only some exchanges have: trailers, interim (1xx) answers, and the request as it
 * went upstream where that differs from what the client sent (Host rewritten, proxy headers dropped, `Via` and
 * `Connection` added). The upstream head is parsed here, when the entry is built, not on the forwarding path.
 */
import type { Entry, EntryRequest, HeaderPair, UpstreamRequest } from '../../../src-shared/model.js';
import type { ForwardTarget } from '../proxy/forward-target.js';
import type { CapturedExchange } from './http-capture.js';

export function addWireExtras(entry: Entry, exchange: CapturedExchange): void {
  if (exchange.requestTrailers) entry.request.trailers = exchange.requestTrailers;
  if (entry.response) {
    if (exchange.interim) entry.response.interim = exchange.interim;
    if (exchange.responseTrailers) entry.response.trailers = exchange.responseTrailers;
  }
  if (!exchange.upstreamRequest) return;
  const sent = parseRequestHead(exchange.upstreamRequest.head, exchange.upstreamRequest.target);
  if (sent && differs(sent, entry.request)) entry.upstreamRequest = sent;
}

/** A request head as Node serialized it (`METHOD target HTTP/1.1`, then one `Name: value` per line). */
export function parseRequestHead(head: string, target: ForwardTarget): UpstreamRequest | undefined {
  const lines = head.split('\r\n');
  const requestLine = /^(\S+) (\S+) HTTP\/\d\.\d$/.exec(lines[0] ?? '');
  if (!requestLine) return undefined;
  const headers: HeaderPair[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) headers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { method: requestLine[1]!, url: `${origin(target)}${requestLine[2]!}`, headers };
}

function origin(target: ForwardTarget): string {
  const host = target.hostname.includes(':') ? `[${target.hostname}]` : target.hostname;
  const defaultPort = target.protocol === 'https:' ? 443 : 80;
  return `${target.protocol}//${host}${target.port === defaultPort ? '' : `:${target.port}`}`;
}

function differs(sent: UpstreamRequest, received: EntryRequest): boolean {
  if (sent.method !== received.method || sent.url !== received.url) return true;
  if (sent.headers.length !== received.headers.length) return true;
  return sent.headers.some(([name, value], i) => name !== received.headers[i]![0] || value !== received.headers[i]![1]);
}

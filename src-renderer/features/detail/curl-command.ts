/** "Copy as cURL": POSIX-shell commands that repeat the captured request, through the proxy or straight upstream. */
import type { BodyInfo, Entry, RawHeaderValues, SessionMode } from '../../../src-shared/model.js';
import { ansiCQuote, isUtf8Value, rawHeaderBytes } from './header-bytes.js';

export function shellQuote(value: string): string {
  if (/^[\w@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

// curl computes these itself; copying them makes the command wrong once the body or connection differs.
const SKIP_HEADERS = new Set(['content-length', 'connection', 'transfer-encoding', 'proxy-connection', 'keep-alive']);

/** A header argument with its exact bytes: a UTF-8 shell sends the text as UTF-8, so other bytes need `$'\xNN'`. */
function headerArg(name: string, value: string, raw: RawHeaderValues | undefined, index: number): string {
  const bytes = rawHeaderBytes(raw, index);
  if (!bytes || isUtf8Value(value, bytes)) return shellQuote(`${name}: ${value}`);
  return ansiCQuote(new Uint8Array([...new TextEncoder().encode(`${name}: `), ...bytes]));
}

/** Text the shell would send as UTF-8 although the body was in another charset cannot be repeated as text. */
function textSentAsIs(body: BodyInfo): boolean {
  const charset = body.charset ?? 'utf-8';
  if (charset === 'utf-8') return true;
  const text = body.text ?? '';
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return !charset.startsWith('utf-16');
}

/** Where a copied command sends the request: through the session's proxy, or straight to the upstream. */
export type CurlRoute = 'proxy' | 'upstream';

/** What of the session a command needs: how its proxy is reached and, in reverse mode, what it stands for. */
export interface CurlSession {
  mode: SessionMode;
  proxyUrl: string;
  targetUrl?: string | undefined;
}

function authorityOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}

/** In reverse mode the proxy stands for `targetUrl`: the same request through it goes to the proxy's own address. */
function proxiedReverseUrl(url: string, session: CurlSession): string {
  const target = session.targetUrl?.replace(/\/+$/, '') ?? '';
  const rest = target && url.startsWith(target) ? url.slice(target.length) : new URL(url).pathname + new URL(url).search;
  return session.proxyUrl.replace(/\/+$/, '') + (rest.startsWith('/') || rest === '' ? rest : `/${rest}`);
}

interface Plan {
  url: string;
  proxy?: string;
  /** Drop the captured Host header: curl derives the right one, and the captured one names another server. */
  dropHost: (value: string) => boolean;
}

function plan(entry: Entry, route: CurlRoute, session: CurlSession | undefined): Plan {
  const url = entry.request.url;
  const same = (target: string) => (value: string) => value.toLowerCase() === authorityOf(target);
  if (!session) return { url, dropHost: same(url) };
  if (session.mode === 'reverse') {
    // The client addressed the proxy, so its Host names the proxy: wrong upstream, redundant through the proxy.
    return route === 'upstream' ? { url, dropHost: () => true } : { url: proxiedReverseUrl(url, session), dropHost: () => true };
  }
  return route === 'proxy' ? { url, proxy: session.proxyUrl, dropHost: same(url) } : { url, dropHost: same(url) };
}

/** Commands for "Copy as cURL": none for a tunnel (its bytes are opaque, a CONNECT alone repeats nothing). */
export function curlVariants(entry: Entry, session: CurlSession | undefined): { route: CurlRoute; label: string; command: string }[] {
  if (entry.entryType === 'tunnel' || entry.request.method === 'CONNECT') return [];
  return [
    { route: 'proxy', label: 'via the proxy', command: toCurl(entry, 'proxy', session) },
    { route: 'upstream', label: 'direct to upstream', command: toCurl(entry, 'upstream', session) },
  ];
}

export function toCurl(entry: Entry, route: CurlRoute = 'upstream', session?: CurlSession): string {
  const { method, headers, body, rawHeaderValues } = entry.request;
  const target = plan(entry, route, session);
  const parts = ['curl'];
  if (target.proxy) parts.push('--proxy', shellQuote(target.proxy));
  if (method !== 'GET' || body.text !== undefined || body.base64 !== undefined) {
    if (!(method === 'POST' && (body.text || body.base64))) parts.push('-X', shellQuote(method));
  }
  parts.push(shellQuote(target.url));
  let compressed = false;
  headers.forEach(([name, value], index) => {
    const lower = name.toLowerCase();
    if (SKIP_HEADERS.has(lower)) return;
    if (lower === 'host' && target.dropHost(value)) return;
    if (lower === 'proxy-authorization' && !target.proxy) return;
    if (lower === 'accept-encoding') compressed = true;
    parts.push('-H', headerArg(name, value, rawHeaderValues, index));
  });
  if (body.text !== undefined && body.text !== '' && textSentAsIs(body)) parts.push('--data-raw', shellQuote(body.text));
  else if (body.text) parts.push('--data-binary', '@-', `# ${body.charset} body not included`);
  else if (body.base64) parts.push('--data-binary', '@-', '# binary body not included');
  if (compressed) parts.push('--compressed');
  return parts.join(' ');
}

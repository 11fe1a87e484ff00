/** "Copy as cURL": a POSIX-shell command that repeats the captured request against the same URL. */
import type { BodyInfo, Entry, RawHeaderValues } from '../../../src-shared/model.js';
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

export function toCurl(entry: Entry): string {
  const { method, url, headers, body, rawHeaderValues } = entry.request;
  const parts = ['curl'];
  if (method !== 'GET' || body.text !== undefined || body.base64 !== undefined) {
    if (!(method === 'POST' && (body.text || body.base64))) parts.push('-X', shellQuote(method));
  }
  parts.push(shellQuote(url));
  let compressed = false;
  headers.forEach(([name, value], index) => {
    const lower = name.toLowerCase();
    if (SKIP_HEADERS.has(lower)) return;
    if (lower === 'accept-encoding') compressed = true;
    parts.push('-H', headerArg(name, value, rawHeaderValues, index));
  });
  if (body.text !== undefined && body.text !== '' && textSentAsIs(body)) parts.push('--data-raw', shellQuote(body.text));
  else if (body.text) parts.push('--data-binary', '@-', `# ${body.charset} body not included`);
  else if (body.base64) parts.push('--data-binary', '@-', '# binary body not included');
  if (compressed) parts.push('--compressed');
  return parts.join(' ');
}

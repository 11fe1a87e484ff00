/** "Copy as cURL": a POSIX-shell command that repeats the captured request against the same URL. */
import type { Entry } from '../../../src-shared/model.js';

export function shellQuote(value: string): string {
  if (/^[\w@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

// curl computes these itself; copying them makes the command wrong once the body or connection differs.
const SKIP_HEADERS = new Set(['content-length', 'connection', 'transfer-encoding', 'proxy-connection', 'keep-alive']);

export function toCurl(entry: Entry): string {
  const { method, url, headers, body } = entry.request;
  const parts = ['curl'];
  if (method !== 'GET' || body.text !== undefined || body.base64 !== undefined) {
    if (!(method === 'POST' && (body.text || body.base64))) parts.push('-X', shellQuote(method));
  }
  parts.push(shellQuote(url));
  let compressed = false;
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (SKIP_HEADERS.has(lower)) continue;
    if (lower === 'accept-encoding') compressed = true;
    parts.push('-H', shellQuote(`${name}: ${value}`));
  }
  if (body.text !== undefined && body.text !== '') parts.push('--data-raw', shellQuote(body.text));
  else if (body.base64) parts.push('--data-binary', '@-', '# binary body not included');
  if (compressed) parts.push('--compressed');
  return parts.join(' ');
}

/**
 * The exact bytes of recorded header values (`rawHeaderValues`, see src-shared/model.ts) for the detail view and
 * copy-as-cURL: whether a value's text is those bytes read as UTF-8, and how to say or repeat them exactly.
 */
import type { RawHeaderValues } from '../../../src-shared/model.js';
import { base64ToBytes } from './hex-dump.js';

const encoder = new TextEncoder();

export function rawHeaderBytes(raw: RawHeaderValues | undefined, index: number): Uint8Array | undefined {
  const b64 = raw?.[index];
  return b64 === undefined ? undefined : base64ToBytes(b64);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** True when the shown text is the bytes as UTF-8; false when the bytes are no valid UTF-8 (shown as Latin-1). */
export function isUtf8Value(value: string, bytes: Uint8Array): boolean {
  return sameBytes(encoder.encode(value), bytes);
}

export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** A tooltip for a header value that is not plain ASCII. */
export function headerBytesNote(value: string, bytes: Uint8Array): string {
  const how = isUtf8Value(value, bytes) ? 'shown as UTF-8' : 'not valid UTF-8: shown one Latin-1 character per byte';
  return `Exact bytes (${how}): ${hexBytes(bytes)}`;
}

/** Bash ANSI-C quoting (`$'…'`) that yields exactly these bytes, for values a UTF-8 shell would mangle. */
export function ansiCQuote(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x27 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `$'${out}'`;
}

/**
 * Text bodies in the charset they were sent in. Labels resolve as browsers resolve them (the WHATWG Encoding
 * Standard, which Node's TextDecoder implements with full ICU): `iso-8859-1` and `latin1` mean windows-1252,
 * `shift_jis`, `gb18030`, `koi8-r`, `utf-16le` and the rest decode as in a browser. A byte order mark overrides
 * the label, as in the standard's decode algorithm. No charset means UTF-8, which JSON requires and most text
 * sent today is.
 */
import { TextDecoder } from 'node:util';

export interface TextDecodeResult {
  text: string;
  /** The WHATWG name of the encoding used. */
  charset: string;
  /** Set when the declared charset could not be used. */
  note?: string;
}

const PARAM = /;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;

/** The `charset` parameter of a Content-Type value, unquoted, or undefined. */
export function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  for (const [, name, raw] of contentType.matchAll(PARAM)) {
    if (name!.toLowerCase() !== 'charset') continue;
    const value = raw!.trim();
    const unquoted = value.startsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
    return unquoted.trim() || undefined;
  }
  return undefined;
}

function bomEncoding(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return 'utf-8';
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return 'utf-16be';
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return 'utf-16le';
  return undefined;
}

function decoderFor(label: string): TextDecoder | undefined {
  try {
    return new TextDecoder(label);
  } catch {
    // Not a WHATWG label, or one this Node's ICU lacks (e.g. the "replacement" encodings).
    return undefined;
  }
}

// WHATWG index-windows-1252 for 0x80-0x9F; every other byte is its own code point (Latin-1).
const WINDOWS_1252_C1 =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f' +
  '\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

/**
 * Node 20.18.3+ decodes windows-1252 (the target of `iso-8859-1` and `latin1`) through a Latin-1 fast path that
 * drops or mangles bytes 0x80-0x9F (nodejs/node#60888), so this one encoding is decoded here, by the standard's table.
 */
function decodeWindows1252(bytes: Uint8Array): string {
  const latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return latin1.replace(/[\x80-\x9f]/g, (c) => WINDOWS_1252_C1[c.charCodeAt(0) - 0x80]!);
}

/** Decode text bytes by their BOM, else the Content-Type's charset, else UTF-8; malformed bytes become U+FFFD. */
export function decodeText(bytes: Uint8Array, contentType: string | undefined): TextDecodeResult {
  const label = bomEncoding(bytes) ?? charsetOf(contentType);
  const declared = label === undefined ? undefined : decoderFor(label);
  const decoder = declared ?? new TextDecoder('utf-8');
  const text = decoder.encoding === 'windows-1252' ? decodeWindows1252(bytes) : decoder.decode(bytes);
  const result: TextDecodeResult = { text, charset: decoder.encoding };
  if (label !== undefined && !declared) result.note = `unknown charset "${label}": decoded as UTF-8`;
  return result;
}

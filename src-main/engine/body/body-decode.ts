/**
 * Decoding of captured bodies, done on read (capture keeps the raw bytes only). Handles stacked encodings
 * (`Content-Encoding: gzip, br` is undone right to left), truncated captures (partial output, flagged) and
 * zstd through fzstd (Node 20's zlib has none).
 */
import zlib from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { charsetOf } from './body-charset.js';

export interface DecodeResult {
  bytes: Buffer;
  error?: string;
}

const DECODED_LIMIT = 64 * 1024 * 1024;

function inflateAny(raw: Buffer, partial: boolean): Buffer {
  const opts = { finishFlush: partial ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.Z_FINISH, maxOutputLength: DECODED_LIMIT };
  try {
    return zlib.inflateSync(raw, opts);
  } catch {
    // Some servers send raw DEFLATE without the zlib wrapper under "deflate".
    return zlib.inflateRawSync(raw, opts);
  }
}

function decodeOne(encoding: string, raw: Buffer, partial: boolean): Buffer {
  const flush = partial ? zlib.constants.Z_SYNC_FLUSH : zlib.constants.Z_FINISH;
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(raw, { finishFlush: flush, maxOutputLength: DECODED_LIMIT });
    case 'deflate':
      return inflateAny(raw, partial);
    case 'br':
      return zlib.brotliDecompressSync(raw, {
        finishFlush: partial ? zlib.constants.BROTLI_OPERATION_FLUSH : zlib.constants.BROTLI_OPERATION_FINISH,
        maxOutputLength: DECODED_LIMIT,
      });
    case 'zstd':
      return Buffer.from(zstdDecompress(raw));
    case 'identity':
    case '':
      return raw;
    default:
      throw new Error(`unknown content-encoding "${encoding}"`);
  }
}

export function decodeBody(raw: Buffer, contentEncoding: string | undefined, truncated: boolean): DecodeResult {
  if (!contentEncoding || raw.length === 0) return { bytes: raw };
  const encodings = contentEncoding
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean)
    .reverse();
  let bytes = raw;
  try {
    for (const encoding of encodings) bytes = decodeOne(encoding, bytes, truncated);
    return truncated ? { bytes, error: 'body was truncated at capture: decoded output is partial' } : { bytes };
  } catch (e) {
    return { bytes: raw, error: `could not decode ${contentEncoding}: ${(e as Error).message}` };
  }
}

const TEXT_TYPE = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql|x-ndjson|yaml|x-yaml|soap\+xml|problem\+json)|image\/svg\+xml)/i;

/** Text when the type or a charset says so, or when the bytes are valid UTF-8 without binary control characters. */
export function looksTextual(bytes: Buffer, contentType: string | undefined): boolean {
  if (contentType && TEXT_TYPE.test(contentType)) return true;
  if (contentType && /^(image|audio|video|font)\/|octet-stream|protobuf|grpc|zip|pdf/i.test(contentType)) return false;
  // A charset parameter says the body is text, whatever the type; its bytes need not be UTF-8. `file --mime`
  // writes `charset=binary` for the opposite.
  const charset = charsetOf(contentType)?.toLowerCase();
  if (charset) return charset !== 'binary';
  const sample = bytes.subarray(0, 4096);
  for (const byte of sample) {
    if (byte === 0 || (byte < 0x09) || (byte > 0x0d && byte < 0x20 && byte !== 0x1b)) return false;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.length < bytes.length ? trimPartialUtf8(sample) : sample);
    return true;
  } catch {
    return false;
  }
}

function trimPartialUtf8(sample: Buffer): Buffer {
  const end = sample.length;
  // Step back over a multi-byte sequence cut by the sample boundary.
  for (let i = 1; i <= 3 && end - i >= 0; i++) {
    const byte = sample[end - i]!;
    if ((byte & 0xc0) === 0xc0) return sample.subarray(0, end - i);
    if ((byte & 0x80) === 0) break;
  }
  return sample;
}

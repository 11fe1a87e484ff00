import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, looksTextual } from './body-decode.js';
import { withDecodedBody } from './body-view.js';

const text = Buffer.from('{"hello":"wörld"}'.repeat(50));

describe('decodeBody', () => {
  it('undoes gzip, deflate (zlib and raw), br and stacked encodings', () => {
    expect(decodeBody(zlib.gzipSync(text), 'gzip', false).bytes.equals(text)).toBe(true);
    expect(decodeBody(zlib.deflateSync(text), 'deflate', false).bytes.equals(text)).toBe(true);
    expect(decodeBody(zlib.deflateRawSync(text), 'deflate', false).bytes.equals(text)).toBe(true);
    expect(decodeBody(zlib.brotliCompressSync(text), 'BR', false).bytes.equals(text)).toBe(true);
    const stacked = zlib.brotliCompressSync(zlib.gzipSync(text));
    expect(decodeBody(stacked, 'gzip, br', false).bytes.equals(text)).toBe(true);
    expect(decodeBody(text, 'identity', false).bytes.equals(text)).toBe(true);
  });

  it('decodes zstd frames', () => {
    // The frame `printf 'hello zstd\n' | zstd -c` writes.
    const frame = Buffer.from('KLUv/QRYWQAAaGVsbG8genN0ZApsV/lR', 'base64');
    expect(decodeBody(frame, 'zstd', false).bytes.toString()).toBe('hello zstd\n');
  });

  it('gives partial output for a truncated capture and says so', () => {
    const big = Buffer.from(Array.from({ length: 20000 }, (_, i) => `line ${i}\n`).join(''));
    const gz = zlib.gzipSync(big);
    const result = decodeBody(gz.subarray(0, Math.floor(gz.length / 2)), 'gzip', true);
    expect(result.error).toMatch(/truncated/);
    expect(result.bytes.length).toBeGreaterThan(1000);
    expect(big.subarray(0, result.bytes.length).equals(result.bytes)).toBe(true);
  });

  it('reports corrupt or unknown encodings and keeps the raw bytes', () => {
    const corrupt = decodeBody(Buffer.from('not gzip at all'), 'gzip', false);
    expect(corrupt.error).toMatch(/could not decode gzip/);
    expect(corrupt.bytes.toString()).toBe('not gzip at all');
    expect(decodeBody(Buffer.from('x'), 'compress', false).error).toMatch(/unknown content-encoding "compress"/);
  });
});

describe('text or binary', () => {
  it('trusts textual content types and sniffs the rest', () => {
    expect(looksTextual(Buffer.from([0, 1, 2]), 'application/json')).toBe(true);
    expect(looksTextual(Buffer.from('plain'), 'image/png')).toBe(false);
    expect(looksTextual(Buffer.from('héllo'), undefined)).toBe(true);
    expect(looksTextual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0]), undefined)).toBe(false);
    expect(looksTextual(Buffer.from([0xc3, 0x28]), undefined)).toBe(false);
  });

  it('fills text or base64 into the body info', () => {
    const info = { size: 3, capturedSize: 3, truncated: false };
    expect(withDecodedBody({ ...info, contentType: 'text/plain' }, Buffer.from('abc')).text).toBe('abc');
    expect(withDecodedBody({ ...info, contentType: 'image/png' }, Buffer.from([1, 2, 3])).base64).toBe('AQID');
    expect(withDecodedBody(info, undefined).text).toBe('');
  });
});

import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, looksTextual } from './body-decode.js';
import type { HeaderPair } from '../../../src-shared/model.js';
import { charsetOf } from './body-charset.js';
import { contentEncodingOf, decodedBodyBytes, entryWithBodies, withDecodedBody } from './body-view.js';

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

describe('text in its declared charset', () => {
  const info = { size: 0, capturedSize: 0, truncated: false };
  const view = (contentType: string | undefined, bytes: Buffer) => withDecodedBody({ ...info, contentType }, bytes);

  it('reads the charset parameter, quoted or not, in any case and position', () => {
    expect(charsetOf('text/plain; charset=ISO-8859-1')).toBe('ISO-8859-1');
    expect(charsetOf('text/html;format=flowed;Charset="shift_jis"')).toBe('shift_jis');
    expect(charsetOf('text/plain; name="a;charset=x"; charset=koi8-r')).toBe('koi8-r');
    expect(charsetOf('text/plain')).toBeUndefined();
    expect(charsetOf(undefined)).toBeUndefined();
  });

  it('decodes WHATWG encodings by label and names the encoding used', () => {
    expect(view('text/plain; charset=iso-8859-1', Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toMatchObject({ text: 'café', charset: 'windows-1252' });
    expect(view('text/plain; charset=windows-1251', Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]))).toMatchObject({ text: 'Привет', charset: 'windows-1251' });
    expect(view('text/plain; charset=Shift_JIS', Buffer.from([0x93, 0xfa, 0x96, 0x7b]))).toMatchObject({ text: '日本', charset: 'shift_jis' });
    expect(view('text/plain; charset=koi8-r', Buffer.from([0xd0, 0xd2, 0xc9]))).toMatchObject({ text: 'при', charset: 'koi8-r' });
    expect(view('text/plain; charset=gb18030', Buffer.from([0xd6, 0xd0]))).toMatchObject({ text: '中', charset: 'gb18030' });
    expect(view('application/json; charset=utf-16le', Buffer.from('{"a":"é"}', 'utf16le'))).toMatchObject({ text: '{"a":"é"}', charset: 'utf-16le' });
  });

  it('decodes every windows-1252 byte as the WHATWG index says (Node 20 itself gets 0x80-0x9F wrong)', () => {
    const out = view('text/plain; charset=latin1', Buffer.from([0x80, 0x81, 0x92, 0x9f, 0xa0, 0xe9, 0xff]));
    expect(out).toMatchObject({ text: '\u20ac\u0081\u2019\u0178\u00a0\u00e9\u00ff', charset: 'windows-1252' });
  });

  it('defaults to UTF-8 and lets a byte order mark override the label', () => {
    expect(view('text/plain', Buffer.from('wörld'))).toMatchObject({ text: 'wörld', charset: 'utf-8' });
    const bom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('hé', 'utf16le')]);
    expect(view('text/plain; charset=iso-8859-1', bom)).toMatchObject({ text: 'hé', charset: 'utf-16le' });
  });

  it('falls back to UTF-8 for an unknown charset and says so', () => {
    const out = view('text/plain; charset=x-klingon', Buffer.from('qapla’'));
    expect(out).toMatchObject({ text: 'qapla’', charset: 'utf-8' });
    expect(out.decodeError).toBe('unknown charset "x-klingon": decoded as UTF-8');
  });

  it('treats a declared charset as text even for a type it does not know', () => {
    expect(view('application/x-custom; charset=windows-1252', Buffer.from([0x80]))).toMatchObject({ text: '€' });
    expect(view('application/x-custom; charset=binary', Buffer.from([0x80])).base64).toBe('gA==');
  });

  it('decodes after undoing stacked content-encodings given as separate header lines', () => {
    const latin = Buffer.from([0x63, 0x61, 0x66, 0xe9]);
    const stacked = zlib.brotliCompressSync(zlib.gzipSync(latin));
    const body = { ...info, contentType: 'text/plain; charset=iso-8859-1', contentEncoding: 'gzip' };
    const entry = {
      id: 'e', sessionId: 's', entryType: 'http' as const, startedAt: '', durationMs: 1, tags: [], notes: '', mapLocal: false,
      timings: { dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: 0, waitMs: 0, recvMs: 0, totalMs: 0 },
      request: { method: 'GET', url: 'http://a.test/', httpVersion: '1.1', headers: [], body: { ...info } },
      response: { statusCode: 200, statusMessage: 'OK', httpVersion: '1.1', body, headers: [['Content-Encoding', 'gzip'], ['Content-Encoding', 'br']] as HeaderPair[] },
    };
    const out = entryWithBodies(entry, (side) => (side === 'response' ? stacked : undefined));
    expect(out.response!.body).toMatchObject({ text: 'café', contentEncoding: 'gzip, br', charset: 'windows-1252' });
    expect(out.response!.body.decodeError).toBeUndefined();
    expect(decodedBodyBytes(entry, 'response', stacked).equals(latin)).toBe(true);
    expect(contentEncodingOf([['content-encoding', ' gzip '], ['X', 'y'], ['CONTENT-ENCODING', 'br, zstd']])).toBe('gzip, br, zstd');
  });
});

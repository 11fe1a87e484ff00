import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BODY_TEXT_BOUND, BODY_TOKEN_CAP, HEAD_TOKEN_CAP, MAX_QUERY_TOKENS, bodyText, headerSearchText, indexText, queryTerms, tokenize,
} from './search-text.js';

describe('search text', () => {
  it('tokenizes as unicode61 does: alphanumeric runs, case and diacritics folded', () => {
    expect(tokenize('GET /v1/Café?q=Ünïcode&x-id=42')).toEqual(['get', 'v1', 'cafe', 'q', 'unicode', 'x', 'id', '42']);
  });

  it('quotes every query token and makes only the last a prefix', () => {
    expect(queryTerms('NEAR "or" payments*')).toEqual(['"near"', '"or"', '"payments*"']);
    expect(queryTerms(' *** () - ')).toEqual([]);
    expect(queryTerms('ab '.repeat(1000) + 'z')).toEqual(['"ab"', '"z*"']);
    expect(queryTerms(Array.from({ length: 100 }, (_, i) => `t${i}`).join(' '))).toHaveLength(MAX_QUERY_TOKENS);
  });

  it('indexes each distinct token once, with the decoded URL', () => {
    expect(indexText({ url: 'https://a.test/caf%C3%A9?q=a+b', headers: 'Accept: a' }).split(' ')).toEqual(
      ['https', 'test', 'caf', 'c3', 'a9', 'cafe', 'accept'],
    );
  });

  it('keeps a UUID as its first 8 hex digits, on both sides, and skips one-character tokens', () => {
    const uuid = '0F8FAD5B-d9cb-469f-a165-70867728950e';
    expect(indexText({ url: `https://ab.test/orders/${uuid}`, headers: '' }).split(' ')).toEqual(['https', 'ab', 'test', 'orders', '0f8fad5b']);
    expect(queryTerms(`order ${uuid}`)).toEqual(['"order"', '"0f8fad5b*"']);
    expect(queryTerms('v 2 x')).toEqual(['"x*"']);
  });

  it('decodes gzip and charsets, skips binary, and keeps a bounded prefix', () => {
    expect(bodyText({ bytes: zlib.gzipSync('hello gzip'), contentEncoding: 'gzip', contentType: 'text/plain' })).toBe('hello gzip');
    expect(bodyText({ bytes: Buffer.from([0x53, 0xe8, 0x74, 0x65]), contentType: 'text/plain; charset=iso-8859-1' })).toBe('Sète');
    expect(bodyText({ bytes: Buffer.from([0, 1, 2, 3]), contentType: 'application/octet-stream' })).toBe('');
    expect(bodyText({ bytes: Buffer.from('x'.repeat(10_000)), contentType: 'text/plain' })).toHaveLength(BODY_TEXT_BOUND);
  });

  it('keeps only the names of secret, id and random-looking headers', () => {
    expect(headerSearchText('Authorization: Bearer abc')).toBe('authorization');
    expect(headerSearchText('X-Amzn-Trace-Id: Root=1-67891233-abcdef012345678912345678')).toBe('x-amzn-trace-id');
    expect(headerSearchText('X-Thing: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08')).toBe('x-thing');
    expect(headerSearchText('X-Session: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N')).toBe('x-session');
    expect(headerSearchText('Host: ec2-54-12-34-56.compute-1.amazonaws.com')).toBe('Host: ec2-54-12-34-56.compute-1.amazonaws.com');
    expect(headerSearchText('User-Agent: Mozilla/5.0 (X11; Linux x86_64)')).toBe('User-Agent: Mozilla/5.0 (X11; Linux x86_64)');
    expect(headerSearchText('Accept: text/html')).toBe('Accept: text/html');
    // Linear whatever the value: a huge one-word value of letters only is kept, quickly.
    const huge = `X-Big: ${'a'.repeat(200_000)}`;
    expect(headerSearchText(huge)).toBe(huge);
  });

  it('caps the tokens of an entry: URL and headers first, bodies on their own budget', () => {
    const many = (prefix: string) => Array.from({ length: 200 }, (_, i) => `${prefix}${i}`).join(' ');
    const tokens = indexText({
      url: 'https://ab.test/first', headers: `X-Many: ${many('h')}`,
      responseBody: { bytes: Buffer.from(many('b')), contentType: 'text/plain' },
    }).split(' ');
    expect(tokens.slice(0, 4)).toEqual(['https', 'ab', 'test', 'first']);
    expect(tokens.filter((t) => t.startsWith('b'))).toHaveLength(BODY_TOKEN_CAP);
    expect(tokens).toHaveLength(HEAD_TOKEN_CAP + BODY_TOKEN_CAP);
  });
});

describe('search text: the ASCII scanner', () => {
  /** The definition the scanner must agree with: UUIDs cut to 8 digits, then Unicode-aware alphanumeric runs. */
  const reference = (text: string) =>
    text.replace(/\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '$1').toLowerCase().match(/[\p{L}\p{N}\p{Co}]+/gu) ?? [];

  it('tokenizes ASCII text exactly as the Unicode-aware definition does', () => {
    const uuid = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const pieces = ['a', 'Z9', '-', '_', ' ', '/', '?', '=', '.', uuid, uuid.toUpperCase(), `${uuid}x`, `_${uuid}`, `x${uuid}`, `${uuid}_`,
      uuid.slice(0, 35), 'deadbeef-dead-beef-dead-beefdeadbeef', '0f8fad5b-d9cb-469f-a165-70867728950', '12', 'q=1&b=2', '\t', '\n'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
    for (let n = 0; n < 2000; n++) {
      const text = Array.from({ length: 1 + (next() % 12) }, () => pieces[next() % pieces.length]).join('');
      expect(tokenize(text)).toEqual(reference(text));
    }
  });
});

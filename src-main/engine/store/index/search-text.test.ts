import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { BODY_TEXT_BOUND, MAX_QUERY_TOKENS, bodyText, indexText, queryTerms, tokenize } from './search-text.js';

describe('search text', () => {
  it('tokenizes as unicode61 does: alphanumeric runs, case and diacritics folded', () => {
    expect(tokenize('GET /v1/Café?q=Ünïcode&x-id=42')).toEqual(['get', 'v1', 'cafe', 'q', 'unicode', 'x', 'id', '42']);
  });

  it('quotes every query token and makes only the last a prefix', () => {
    expect(queryTerms('NEAR "or" payments*')).toEqual(['"near"', '"or"', '"payments*"']);
    expect(queryTerms(' *** () - ')).toEqual([]);
    expect(queryTerms('a '.repeat(1000) + 'z')).toEqual(['"a"', '"z*"']);
    expect(queryTerms(Array.from({ length: 100 }, (_, i) => `t${i}`).join(' '))).toHaveLength(MAX_QUERY_TOKENS);
  });

  it('indexes each distinct token once, with the decoded URL', () => {
    expect(indexText({ url: 'https://a.test/caf%C3%A9?q=a+b', headers: 'Accept: a' }).split(' ')).toEqual(
      ['https', 'a', 'test', 'caf', 'c3', 'a9', 'q', 'b', 'cafe', 'accept'],
    );
  });

  it('decodes gzip and charsets, skips binary, and keeps a bounded prefix', () => {
    expect(bodyText({ bytes: zlib.gzipSync('hello gzip'), contentEncoding: 'gzip', contentType: 'text/plain' })).toBe('hello gzip');
    expect(bodyText({ bytes: Buffer.from([0x53, 0xe8, 0x74, 0x65]), contentType: 'text/plain; charset=iso-8859-1' })).toBe('Sète');
    expect(bodyText({ bytes: Buffer.from([0, 1, 2, 3]), contentType: 'application/octet-stream' })).toBe('');
    expect(bodyText({ bytes: Buffer.from('x'.repeat(10_000)), contentType: 'text/plain' })).toHaveLength(BODY_TEXT_BOUND);
  });
});

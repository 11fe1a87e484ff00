import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../src-shared/model.js';
import { toCurl, shellQuote } from './curl-command.js';
import { explainError } from './error-words.js';
import { base64ToBytes, formatBytes, hexDump } from './hex-dump.js';

const entry = (over: Partial<Entry['request']>): Entry => ({
  id: 'e', sessionId: 's', entryType: 'http', startedAt: '', durationMs: 1, tags: [], notes: '', mapLocal: false,
  timings: { dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: 0, waitMs: 0, recvMs: 0, totalMs: 0 },
  request: { method: 'GET', url: 'http://a.test/x?y=1&z=2', httpVersion: '1.1', headers: [], body: { size: 0, capturedSize: 0, truncated: false }, ...over },
});

describe('toCurl', () => {
  it('quotes for the shell and skips hop-by-hop headers', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(toCurl(entry({ headers: [['Accept', 'application/json'], ['Content-Length', '3'], ['Accept-Encoding', 'gzip']] })))
      .toBe(`curl 'http://a.test/x?y=1&z=2' -H 'Accept: application/json' -H 'Accept-Encoding: gzip' --compressed`);
  });
  it('sends the body and method', () => {
    const cmd = toCurl(entry({ method: 'PUT', body: { size: 7, capturedSize: 7, truncated: false, text: '{"a":1}' } }));
    expect(cmd).toBe(`curl -X PUT 'http://a.test/x?y=1&z=2' --data-raw '{"a":1}'`);
    const post = toCurl(entry({ method: 'POST', body: { size: 1, capturedSize: 1, truncated: false, text: 'a' } }));
    expect(post).toBe(`curl 'http://a.test/x?y=1&z=2' --data-raw a`);
  });
});

describe('hex and sizes', () => {
  it('dumps bytes with offsets and ASCII', () => {
    const dump = hexDump(base64ToBytes(btoa('Hello, hex view!\x00\x01')));
    expect(dump.split('\n')[0]).toBe('00000000  48 65 6c 6c 6f 2c 20 68  65 78 20 76 69 65 77 21  |Hello, hex view!|');
    expect(dump.split('\n')[1]).toMatch(/^00000010 {2}00 01 .*\|\.\.\|$/);
  });
  it('formats sizes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KiB');
    expect(formatBytes(2 * 1024 * 1024)).toBe('2.0 MiB');
  });
});

describe('explainError', () => {
  it('explains known codes and falls back for others', () => {
    expect(explainError({ code: 'ECONNREFUSED', message: 'x' })).toMatch(/refused/);
    expect(explainError({ code: 'WHATEVER', message: 'x' })).toMatch(/failed/);
  });
});

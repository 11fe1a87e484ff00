import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../src-shared/model.js';
import { toCurl, shellQuote } from './curl-command.js';
import { explainError } from './error-words.js';
import { ansiCQuote, headerBytesNote } from './header-bytes.js';
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

describe('exact header bytes and charsets', () => {
  const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));
  it('repeats UTF-8 header values as text and other bytes with ANSI-C escapes', () => {
    const cmd = toCurl(entry({
      headers: [['Accept', '*/*'], ['X-Name', 'Zoë'], ['X-Raw', "a'ÿb"]],
      rawHeaderValues: { 1: b64([0x5a, 0x6f, 0xc3, 0xab]), 2: b64([0x61, 0x27, 0xff, 0x62]) },
    }));
    expect(cmd).toBe(`curl 'http://a.test/x?y=1&z=2' -H 'Accept: */*' -H 'X-Name: Zoë' -H $'X-Raw: a\\'\\xffb'`);
    expect(ansiCQuote(new Uint8Array([0x5c, 0x0a, 0x41]))).toBe(`$'\\\\\\x0aA'`);
  });
  it('does not turn a body in another charset into UTF-8 text', () => {
    const body = (text: string, charset: string) => ({ size: 4, capturedSize: 4, truncated: false, text, charset });
    expect(toCurl(entry({ method: 'POST', body: body('café', 'windows-1252') }))).toBe(`curl 'http://a.test/x?y=1&z=2' --data-binary @- # windows-1252 body not included`);
    expect(toCurl(entry({ method: 'POST', body: body('cafe', 'windows-1252') }))).toBe(`curl 'http://a.test/x?y=1&z=2' --data-raw cafe`);
    expect(toCurl(entry({ method: 'POST', body: body('café', 'utf-8') }))).toBe(`curl 'http://a.test/x?y=1&z=2' --data-raw 'café'`);
  });
  it('describes the exact bytes of a header value', () => {
    expect(headerBytesNote('Zoë', new Uint8Array([0x5a, 0x6f, 0xc3, 0xab]))).toBe('Exact bytes (shown as UTF-8): 5a 6f c3 ab');
    expect(headerBytesNote('ÿ', new Uint8Array([0xff]))).toMatch(/not valid UTF-8.*: ff$/);
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

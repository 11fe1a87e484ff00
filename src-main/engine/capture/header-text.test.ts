import { describe, expect, it } from 'vitest';
import type { Entry, HeaderPair } from '../../../src-shared/model.js';
import { entryHeadersAsText, headerBytes, headersForWire, headersFromWire, headerText } from './header-text.js';

// Node's view of wire bytes: one Latin-1 character per byte.
const wire = (...parts: Array<string | number[]>) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p)))).toString('latin1');

describe('header values as text', () => {
  it('leaves ASCII values alone, without raw values', () => {
    const headers: HeaderPair[] = [['A', '1'], ['B', 'two words']];
    const recorded = headersFromWire(headers);
    expect(recorded.headers).toBe(headers);
    expect(recorded.rawHeaderValues).toBeUndefined();
  });

  it('shows valid UTF-8 as text and keeps the exact bytes', () => {
    const value = wire('Zo', [0xc3, 0xab]);
    const recorded = headersFromWire([['Host', 'a'], ['X-Name', value]]);
    expect(recorded.headers).toEqual([['Host', 'a'], ['X-Name', 'Zoë']]);
    expect(Object.keys(recorded.rawHeaderValues!)).toEqual(['1']);
    expect(headerBytes(recorded, 1).equals(Buffer.from('Zoë', 'utf8'))).toBe(true);
    expect(headersForWire(recorded)[1]).toEqual(['X-Name', value]);
  });

  it('shows invalid UTF-8 one Latin-1 character per byte and keeps the exact bytes', () => {
    const value = wire('a', [0xff, 0xe9], 'b');
    const recorded = headersFromWire([['X-Bin', value]]);
    expect(recorded.headers[0]![1]).toBe('aÿéb');
    expect([...headerBytes(recorded, 0)]).toEqual([0x61, 0xff, 0xe9, 0x62]);
    expect(headersForWire(recorded)).toEqual([['X-Bin', value]]);
  });

  it('tells real UTF-8 text from look-alike mojibake by the raw bytes', () => {
    // The text "Ã«" sent as UTF-8 is four bytes; shown as Latin-1, the two bytes c3 ab would look the same.
    const utf8 = headersFromWire([['X', wire([0xc3, 0x83, 0xc2, 0xab])]]);
    const latin = headersFromWire([['X', wire([0xc3, 0xab, 0xff])]]);
    expect(utf8.headers[0]![1]).toBe('Ã«');
    expect(latin.headers[0]![1]).toBe('Ã«ÿ');
    expect([...headerBytes(utf8, 0)]).toEqual([0xc3, 0x83, 0xc2, 0xab]);
    expect([...headerBytes(latin, 0)]).toEqual([0xc3, 0xab, 0xff]);
  });

  it('reads headers recorded before raw values existed as their Latin-1 bytes', () => {
    expect([...headerBytes({ headers: [['X', 'é']] }, 0)]).toEqual([0xe9]);
    expect(headerText('plain')).toBe('plain');
  });
});

describe('an entry as text', () => {
  it('converts request, response, interim, trailer and upstream request headers, and nothing that is ASCII', () => {
    const zoe = wire('Zo', [0xc3, 0xab]);
    const body = { size: 0, capturedSize: 0, truncated: false };
    const entry: Entry = {
      id: 'e', sessionId: 's', entryType: 'http', startedAt: '', durationMs: 1, tags: [], notes: '', mapLocal: false,
      timings: { dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: 0, waitMs: 0, recvMs: 0, totalMs: 0 },
      request: { method: 'GET', url: 'http://a.test/', httpVersion: '1.1', headers: [['Host', 'a.test'], ['X-Name', zoe]], body },
      response: { statusCode: 200, statusMessage: 'OK', httpVersion: '1.1', headers: [['X-Name', zoe]], body },
      upstreamRequest: { method: 'GET', url: 'http://a.test/', headers: [['Host', 'b.test'], ['X-Name', zoe]] },
    };
    entry.request.trailers = [['X-Sum', 'ok'], ['X-Who', zoe]];
    entry.response!.trailers = [['X-Who', zoe]];
    entry.response!.interim = [{ statusCode: 103, statusMessage: 'Early Hints', headers: [['Link', zoe]] }];
    entryHeadersAsText(entry);
    expect(entry.request.headers[1]).toEqual(['X-Name', 'Zoë']);
    expect(entry.request.rawHeaderValues).toEqual({ 1: Buffer.from('Zoë').toString('base64') });
    expect(entry.response!.rawHeaderValues).toEqual({ 0: Buffer.from('Zoë').toString('base64') });
    expect(entry.upstreamRequest!.headers[1]).toEqual(['X-Name', 'Zoë']);
    expect(headerBytes(entry.upstreamRequest!, 1).equals(Buffer.from('Zoë'))).toBe(true);
    const zoeB64 = Buffer.from('Zoë').toString('base64');
    expect(entry.request.trailers).toEqual([['X-Sum', 'ok'], ['X-Who', 'Zoë']]);
    expect(entry.request.rawTrailerValues).toEqual({ 1: zoeB64 });
    expect(entry.response!.trailers).toEqual([['X-Who', 'Zoë']]);
    expect(entry.response!.rawTrailerValues).toEqual({ 0: zoeB64 });
    expect(entry.response!.interim[0]).toMatchObject({ headers: [['Link', 'Zoë']], rawHeaderValues: { 0: zoeB64 } });
    const ascii: Entry = { ...entry, request: { ...entry.request, headers: [['A', 'b']] }, response: undefined, upstreamRequest: undefined };
    delete ascii.request.rawHeaderValues;
    entryHeadersAsText(ascii);
    expect(ascii.request.rawHeaderValues).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import type { Entry } from '../../../src-shared/model.js';
import { mockSchema } from '../../../src-shared/mocks.js';
import { mockFromEntry, routeOf } from './mock-from-entry.js';

const entry = (status: number, contentType: string, headers: Array<[string, string]>): Entry => ({
  id: 'e', sessionId: 's', entryType: 'http', startedAt: '', durationMs: 1, tags: [], notes: '', mapLocal: false,
  timings: { dnsMs: -1, connectMs: -1, tlsMs: -1, sendMs: 0, waitMs: 0, recvMs: 0, totalMs: 1 },
  request: { method: 'POST', url: 'http://api.test:8080/v1/users/42?x=1', httpVersion: '1.1', headers: [], body: { size: 0, capturedSize: 0, truncated: false } },
  response: { statusCode: status, statusMessage: '', httpVersion: '1.1', headers, body: { size: 10, capturedSize: 10, truncated: false, contentType } },
});

const bytes = (text: string) => new TextEncoder().encode(text);

describe('mock from an entry', () => {
  it('takes the method, the path without its query, the status, the headers (not the transfer ones) and a JSON body as JSON', () => {
    const mock = mockFromEntry(entry(201, 'application/json', [['Content-Type', 'application/json'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Content-Length', '10'], ['Content-Encoding', 'gzip']]), bytes('{"id":42}'), 'qa');
    expect(mock).toEqual({
      namespace: 'qa', tags: ['recorded'],
      http: { route: '/v1/users/42', httpMethod: 'POST' },
      response: { statusCode: 201, headers: { 'Content-Type': ['application/json'], 'Set-Cookie': ['a=1', 'b=2'] }, payload: { id: 42 } },
    });
    // The store takes it as it is.
    expect(mockSchema.safeParse(mock).success).toBe(true);
  });
  it('keeps text as text, bytes as base64, and no body as no payload', () => {
    expect(mockFromEntry(entry(200, 'text/html', []), bytes('<p>hi</p>'), 'd').response?.payload).toBe('<p>hi</p>');
    expect(mockFromEntry(entry(200, 'application/json', []), bytes('not json'), 'd').response?.payload).toBe('not json');
    const binary = mockFromEntry(entry(200, 'image/png', []), new Uint8Array([0, 255, 1]), 'd').response;
    expect(binary).toMatchObject({ payload: 'AP8B', decode: 'base64' });
    expect(mockSchema.safeParse(mockFromEntry(entry(200, 'image/png', []), new Uint8Array([0, 255, 1]), 'd')).success).toBe(true);
    expect(mockFromEntry(entry(204, '', []), null, 'd').response).toEqual({ statusCode: 204, headers: {} });
  });
  it('answers 200 for a status the format cannot hold, and reads routes of every URL form', () => {
    expect(mockFromEntry(entry(101, '', []), null, 'd').response?.statusCode).toBe(200);
    expect(routeOf('/plain/path?q')).toBe('/plain/path');
    expect(routeOf('https://x.test')).toBe('/');
  });
});

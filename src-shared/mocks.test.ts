import { describe, expect, it } from 'vitest';
import { MOCK_LIMITS, mapLocalConfigSchema, mockSchema } from './mocks.js';
import { parseInput } from './schemas.js';

/** The example of ../shared/spec/mockarty-api.md, as written. */
const SPEC_EXAMPLE = {
  id: 'rec-get-user',
  namespace: 'sandbox',
  chainId: 'optional-chain',
  priority: 5,
  tags: ['recorded'],
  ttl: 0,
  useLimiter: 0,
  http: {
    route: '/api/users/:id',
    httpMethod: 'GET',
    conditions: [{ path: '$.body.email', assertAction: 'equals', value: 'a@b.c' }],
    queryParams: [{ path: 'page', assertAction: 'equals', value: '2' }],
    header: [{ path: 'Authorization', assertAction: 'contains', value: 'Bearer' }],
  },
  response: { statusCode: 200, headers: { 'Content-Type': ['application/json'] }, payload: { id: 1, name: 'Ann' }, delay: 0 },
};

const parse = (mock: unknown) => parseInput(mockSchema, mock, 'mock');
const refusal = (mock: unknown) => {
  try {
    parse(mock);
  } catch (e) {
    return { field: (e as { field?: string }).field, message: (e as Error).message };
  }
  throw new Error('accepted');
};
const http = { route: '/a', httpMethod: 'GET' };

describe('the mock format', () => {
  it("takes Mockarty's example as written, and its other protocols as given", () => {
    expect(parse(SPEC_EXAMPLE)).toEqual(SPEC_EXAMPLE);
    const grpc = { id: 'g', grpc: { service: 'svc.Users', method: 'Get', methodType: 'unary', meta: [] }, response: { payload: { ok: true } } };
    expect(parse(grpc)).toEqual(grpc);
    const sequence = { http, oneOf: { order: 'order', offset: 1, responses: [{ statusCode: 201 }, { statusCode: 500, payload: 'down' }] } };
    expect(parse(sequence)).toEqual(sequence);
    expect(parse({ http, proxy: { target: 'http://upstream' } })).toMatchObject({ proxy: { target: 'http://upstream' } });
    expect(parse({ http, response: { payload: 'aGVsbG8=', decode: 'base64' } })).toMatchObject({ response: { decode: 'base64' } });
    // Fields of Mockarty's own (timestamps, folders, webhooks) pass unchanged, so its exports import.
    expect(parse({ http, response: {}, createdAt: 1700000000, folderId: 'f1', webhooks: [{ url: 'http://x' }] })).toMatchObject({ createdAt: 1700000000 });
  });

  it('names the field at fault', () => {
    expect(refusal({ http, response: { statusCode: 99 } })).toEqual({ field: 'response.statusCode', message: 'response.statusCode: must be at least 200' });
    expect(refusal({ http, response: { statusCode: '200' } }).field).toBe('response.statusCode');
    expect(refusal({ http: { route: 'users' }, response: {} })).toMatchObject({ field: 'http.route', message: expect.stringMatching(/must start with "\/"/) });
    expect(refusal({ http: { route: '^/(' }, response: {} })).toMatchObject({ field: 'http.route', message: expect.stringMatching(/RE2 syntax/) });
    expect(refusal({ http: { route: '/a', routePattern: '(' }, response: {} }).field).toBe('http.routePattern');
    expect(refusal({ http: { route: '/a', httpMethod: 'GE T' }, response: {} }).field).toBe('http.httpMethod');
    expect(refusal({ http, response: { headers: { 'Content-Type': 'text/plain' } } }).field).toBe('response.headers.Content-Type');
    expect(refusal({ http, response: { headers: { 'Bad Name': ['x'] } } }).field).toBe('response.headers.Bad Name');
    expect(refusal({ http, response: { headers: { 'X-A': ['a\r\nb'] } } }).field).toBe('response.headers.X-A.0');
    expect(refusal({ http, response: { delay: -1 } }).field).toBe('response.delay');
    expect(refusal({ http, response: { delay: MOCK_LIMITS.delayMs + 1 } }).field).toBe('response.delay');
    expect(refusal({ http, response: { payload: 'not base64!', decode: 'base64' } })).toMatchObject({ field: 'response.payload', message: 'response.payload: is not valid base64' });
    expect(refusal({ http, response: { payload: { a: 1 }, decode: 'base64' } }).field).toBe('response.payload');
    expect(refusal({ http, response: { decode: 'hex' } }).field).toBe('response.decode');
    expect(refusal({ http, oneOf: { responses: [] } }).field).toBe('oneOf.responses');
    expect(refusal({ http, oneOf: { responses: [{}, { statusCode: 1000 }] } }).field).toBe('oneOf.responses.1.statusCode');
    expect(refusal({ http, oneOf: { order: 'shuffle', responses: [{}] } }).field).toBe('oneOf.order');
    expect(refusal({ id: 'a/b', http, response: {} }).field).toBe('id');
    expect(refusal({ id: '', http, response: {} }).field).toBe('id');
    expect(refusal({ namespace: 'no spaces', http, response: {} }).field).toBe('namespace');
    expect(refusal({ http, response: {}, tags: [''] }).field).toBe('tags.0');
    expect(refusal({ http, response: {}, priority: 1.5 }).field).toBe('priority');
    expect(refusal({ http, response: {}, bogus: 1 })).toMatchObject({ field: 'bogus', message: 'unknown field bogus' });
    expect(refusal({ http: { ...http, bogus: 1 }, response: {} }).field).toBe('http.bogus');
  });

  it('has exactly one protocol block and one kind of answer', () => {
    expect(refusal({ response: {} })).toMatchObject({ field: 'http', message: expect.stringMatching(/is required \(or one other protocol block: grpc/) });
    expect(refusal({ http, grpc: {}, response: {} })).toMatchObject({ field: 'grpc', message: 'grpc: only one protocol block may be set, and http is' });
    expect(refusal({ http })).toMatchObject({ field: 'response', message: 'response: is required (or oneOf, or proxy)' });
    expect(refusal({ http, response: {}, oneOf: { responses: [{}] } }).field).toBe('oneOf');
    expect(refusal({ http: 'GET /a', response: {} }).field).toBe('http');
  });

  it('bounds payloads, lists and the whole mock', () => {
    const big = 'x'.repeat(MOCK_LIMITS.payloadBytes);
    expect(refusal({ http, response: { payload: big } })).toMatchObject({ field: 'response.payload', message: expect.stringMatching(/at most 4194304 bytes of JSON/) });
    expect(refusal({ http, response: { payload: 'A'.repeat(MOCK_LIMITS.payloadBytes * 2) , decode: 'base64' } }).field).toBe('response.payload');
    const half = 'y'.repeat(MOCK_LIMITS.payloadBytes / 2);
    expect(refusal({ http, oneOf: { responses: Array.from({ length: 5 }, () => ({ payload: half })) } }).message).toMatch(/a mock must be at most 8388608 bytes/);
    expect(refusal({ http, response: {}, tags: Array.from({ length: 101 }, (_, i) => `t${i}`) }).field).toBe('tags');
    expect(refusal({ http: { ...http, conditions: Array.from({ length: 101 }, () => ({})) }, response: {} }).field).toBe('http.conditions');
    expect(refusal({ http: { route: `/${'a'.repeat(MOCK_LIMITS.route)}` }, response: {} }).field).toBe('http.route');
  });
});

describe('the mapLocal option', () => {
  it("is the reference's shape", () => {
    expect(parseInput(mapLocalConfigSchema, { enabled: true, namespace: 'staging' })).toEqual({ enabled: true, namespace: 'staging' });
    expect(() => parseInput(mapLocalConfigSchema, { enabled: 'yes' })).toThrow(/enabled/);
    expect(() => parseInput(mapLocalConfigSchema, { enabled: true, namespace: 'a b' })).toThrow(/namespace/);
    expect(() => parseInput(mapLocalConfigSchema, { enabled: true, extra: 1 })).toThrow(/unknown field extra/);
  });
});

import { describe, expect, it } from 'vitest';
import { parseInput, startSessionSchema } from './schemas.js';
import { httpToxicSets, isActiveToxicSet, sessionToxicsSchema, toxicsUpdateSchema } from './toxics.js';

const parse = (toxics: unknown) => parseInput(sessionToxicsSchema, toxics, 'toxics');
const refusal = (toxics: unknown) => {
  try {
    parseInput(startSessionSchema, { targetUrl: 'http://127.0.0.1:1', toxics }, 'session config');
  } catch (e) {
    return { field: (e as { field?: string }).field, message: (e as Error).message };
  }
  throw new Error('accepted');
};

describe('the toxics schema', () => {
  it('takes the reference\'s examples as written: per protocol key and the flat chaos form', () => {
    const perProtocol = { http: { delayMs: 200, delayJitter: 100, errorRate: 0.05, errorStatus: 503, bandwidthKBps: 50, slowReadKBps: 10 } };
    expect(parse(perProtocol)).toEqual(perProtocol);
    expect(parse({ delayMs: 3000, delayJitter: 1000, errorRate: 0.2 })).toEqual({ delayMs: 3000, delayJitter: 1000, errorRate: 0.2 });
    expect(parse({ http: { delayMs: 100, delayJitter: 50 }, websocket: { delayMs: 5 }, sse: {}, grpc: [{ errorRate: 1 }] })).toMatchObject({ grpc: [{ errorRate: 1 }] });
  });

  it('names the field at fault, the flat form and lists included', () => {
    expect(refusal({ http: { errorRate: 1.5 } })).toEqual({ field: 'toxics.http.errorRate', message: 'toxics.http.errorRate: must be at most 1' });
    expect(refusal({ http: { delayMs: 2.5 } }).message).toBe('toxics.http.delayMs: expected an integer, got a fractional number');
    expect(refusal({ errorStatus: 302 }).field).toBe('toxics.errorStatus');
    expect(refusal({ http: [{}, { failFirst: -1 }] }).field).toBe('toxics.http.1.failFirst');
    expect(refusal({ http: { match: { method: 'GET!' } } }).field).toBe('toxics.http.match.method');
    expect(refusal({ http: { match: { host: [] } } }).field).toBe('toxics.http.match.host');
    expect(refusal({ http: Array.from({ length: 51 }, () => ({})) }).field).toBe('toxics.http');
    expect(refusal({ resetRate: 0.7, timeoutRate: 0.7 })).toMatchObject({ field: 'toxics.timeoutRate', message: expect.stringContaining('at most 1, got 1.4') });
    expect(refusal({ errorRate: 0.1, http: {} }).message).toMatch(/^toxics\.errorRate: give the http toxics under "http" or at the top level/);
    expect(refusal({ http: { seed: 2 ** 32 } }).field).toBe('toxics.http.seed');
    expect(refusal({ mqtt: {} }).field).toBe('toxics.mqtt');
  });

  it('PUT takes {toxics} as the reference\'s PUT /modifications takes {modifications}', () => {
    expect(parseInput(toxicsUpdateSchema, { toxics: { delayMs: 1 } })).toEqual({ toxics: { delayMs: 1 } });
    expect(() => parseInput(toxicsUpdateSchema, { delayMs: 1 })).toThrow(/^toxics: is required/);
  });
});

describe('httpToxicSets', () => {
  it('reads every form as a list of http sets, in order; other protocols are not http', () => {
    expect(httpToxicSets(undefined)).toEqual([]);
    expect(httpToxicSets({})).toEqual([]);
    expect(httpToxicSets({ delayMs: 5, websocket: { delayMs: 9 } })).toEqual([{ delayMs: 5 }]);
    expect(httpToxicSets({ http: { errorRate: 0.5 } })).toEqual([{ errorRate: 0.5 }]);
    expect(httpToxicSets({ http: [{ delayMs: 1 }, { delayMs: 2 }] })).toEqual([{ delayMs: 1 }, { delayMs: 2 }]);
    expect(httpToxicSets({ grpc: { delayMs: 1 } })).toEqual([]);
  });

  it('calls a set of zeros (or only a seed, a match, a status) inactive', () => {
    expect(isActiveToxicSet({ delayMs: 0, errorRate: 0, bandwidthKBps: 0, seed: 3, errorStatus: 500, match: { path: '/x' } })).toBe(false);
    for (const field of ['delayMs', 'delayJitter', 'errorRate', 'bandwidthKBps', 'slowReadKBps', 'failFirst', 'resetRate', 'timeoutRate'] as const) {
      expect(isActiveToxicSet({ [field]: field.endsWith('Rate') ? 0.5 : 1 }), field).toBe(true);
    }
  });
});

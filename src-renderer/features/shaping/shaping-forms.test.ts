import { describe, expect, it } from 'vitest';
import { parseInput, startSessionSchema } from '../../../src-shared/schemas.js';
import { ApiError } from '../../../src-shared/errors.js';
import { problemAt } from './field-problems.js';
import { EMPTY_FILTERS, filtersFromInput, filtersProblems, filtersToInput } from './filters-form.js';
import { EMPTY_MODIFICATIONS, modificationsFromInput, modificationsProblems, modificationsToInput, moveItem } from './modifications-form.js';
import { mapLocalFromInput, mapLocalProblems, mapLocalToInput } from './map-local-form.js';
import { EMPTY_TOXICS, toxicsFromInput, toxicsProblems, toxicsToInput } from './toxics-form.js';

/** What the server says about a whole start request: its field and message. */
function serverSays(input: Record<string, unknown>): { field?: string | undefined; message: string } | null {
  try {
    parseInput(startSessionSchema, { mode: 'reverse', targetUrl: 'http://a.test', ...input }, 'session config');
    return null;
  } catch (e) {
    if (e instanceof ApiError) return { field: e.field, message: e.message };
    throw e;
  }
}

describe('filters form', () => {
  it('turns lists of text into the filters object and back', () => {
    const form = { ...EMPTY_FILTERS, includeHosts: 'api.test, *.b.test', excludeStatus: '404\n500', includeMethods: 'GET POST' };
    const filters = filtersToInput(form);
    expect(filters).toEqual({ includeHosts: ['api.test', '*.b.test'], excludeStatus: [404, 500], includeMethods: ['GET', 'POST'] });
    expect(filtersFromInput(filters)).toEqual({ ...form, excludeStatus: '404, 500', includeMethods: 'GET, POST' });
    expect(filtersToInput(EMPTY_FILTERS)).toBeUndefined();
  });
  it('names every bad item with the server\'s words and index', () => {
    const form = { ...EMPTY_FILTERS, excludeStatus: '404 abc 42', includeMethods: 'GET G3T' };
    const problems = filtersProblems(form);
    expect(Object.keys(problems).sort()).toEqual(['filters.excludeStatus.1', 'filters.excludeStatus.2', 'filters.includeMethods.1']);
    expect(problems['filters.includeMethods.1']).toContain('a method is letters only');
    const server = serverSays({ filters: filtersToInput(form) });
    expect(Object.keys(problems)).toContain(server?.field);
    expect(filtersProblems({ ...EMPTY_FILTERS, excludeStatus: '404' })).toEqual({});
  });
});

describe('toxics form', () => {
  it('gives one http set with an optional match, and reads the flat form back', () => {
    const form = toxicsFromInput({ delayMs: 200, errorRate: 0.1, match: { method: ['GET', 'HEAD'], path: '/api/*' } });
    expect(form.kept).toBeUndefined();
    expect(toxicsToInput(form)).toEqual({ http: { delayMs: 200, errorRate: 0.1, match: { method: ['GET', 'HEAD'], path: '/api/*' } } });
    expect(toxicsToInput(EMPTY_TOXICS)).toBeUndefined();
  });
  it('keeps toxics it cannot show unchanged', () => {
    const lists = { http: [{ delayMs: 1, match: { path: '/a' } }, { delayMs: 2 }], websocket: { delayMs: 3 } };
    const form = toxicsFromInput(lists);
    expect(form.kept).toBe(lists);
    expect(toxicsToInput(form)).toBe(lists);
  });
  it('reports each bad field where the server names it, in its words', () => {
    const form = { ...EMPTY_TOXICS, values: { ...EMPTY_TOXICS.values, delayMs: 'soon', errorRate: '1.5', errorStatus: '200', seed: '7' } };
    const problems = toxicsProblems(form);
    expect(Object.keys(problems).sort()).toEqual(['toxics.http.delayMs', 'toxics.http.errorRate', 'toxics.http.errorStatus']);
    const server = serverSays({ toxics: toxicsToInput(form) });
    expect(server?.field && problems[server.field]).toBe(server?.message.replace(`${server.field}: `, ''));
    const rates = { ...EMPTY_TOXICS, values: { ...EMPTY_TOXICS.values, errorRate: '0.6', resetRate: '0.6' } };
    expect(toxicsProblems(rates)['toxics.http.resetRate']).toMatch(/at most 1/);
    const match = { ...EMPTY_TOXICS, match: { ...EMPTY_TOXICS.match, method: 'G3T' } };
    expect(problemAt(toxicsProblems(match), 'toxics.http.match.method')).toContain('letters only');
  });
});

describe('modifications form', () => {
  it('turns rows into rules (remove has no value, plain body rules no isRegex) and back', () => {
    const rules = {
      requestHeaders: [{ action: 'remove', name: 'cookie' }],
      responseHeaders: [{ action: 'add', name: 'x-a', value: '1' }],
      urlRewrites: [{ match: '/v1/(.*)', replace: '/v2/$1' }],
      bodyReplacements: [{ match: 'a', replace: 'b' }, { match: 'c+', replace: 'd', isRegex: true }],
    };
    const form = modificationsFromInput(rules);
    expect(form.kept).toBeUndefined();
    expect(modificationsToInput(form)).toEqual(rules);
    expect(modificationsToInput(EMPTY_MODIFICATIONS)).toBeUndefined();
    expect(modificationsFromInput({ requestHeaders: 'nope' }).kept).toEqual({ requestHeaders: 'nope' });
  });
  it('names every bad rule by its index, as the server does', () => {
    const form = {
      ...EMPTY_MODIFICATIONS,
      requestHeaders: [{ action: 'add', name: 'ok', value: 'v' }, { action: 'add', name: 'bad name', value: 'v' }],
      urlRewrites: [{ match: '(', replace: '' }, { match: '/a', replace: '$2' }],
      bodyReplacements: [{ match: '(?=x)', replace: 'y', isRegex: true }],
    };
    const problems = modificationsProblems(form);
    expect(Object.keys(problems).sort()).toEqual([
      'modifications.bodyReplacements.0.match', 'modifications.requestHeaders.1.name', 'modifications.urlRewrites.0.match', 'modifications.urlRewrites.1.replace',
    ]);
    expect(problems['modifications.urlRewrites.0.match']).toContain('not a valid regex');
    const server = serverSays({ modifications: modificationsToInput(form) });
    expect(Object.keys(problems)).toContain(server?.field);
  });
  it('reorders rows', () => {
    expect(moveItem(['a', 'b', 'c'], 2, 0)).toEqual(['c', 'a', 'b']);
    expect(moveItem(['a', 'b'], 0, -1)).toEqual(['a', 'b']);
  });
});

describe('map local form', () => {
  it('sends mapLocal only when on, the namespace only when given, and names a bad namespace', () => {
    expect(mapLocalToInput({ enabled: false, namespace: 'x' })).toBeUndefined();
    expect(mapLocalToInput({ enabled: true, namespace: ' ' })).toEqual({ enabled: true });
    expect(mapLocalFromInput({ enabled: true, namespace: 'qa' })).toEqual({ enabled: true, namespace: 'qa' });
    const problems = mapLocalProblems({ enabled: true, namespace: 'no spaces' });
    expect(Object.keys(problems)).toEqual(['mapLocal.namespace']);
    expect(serverSays({ mapLocal: { enabled: true, namespace: 'no spaces' } })?.field).toBe('mapLocal.namespace');
  });
});

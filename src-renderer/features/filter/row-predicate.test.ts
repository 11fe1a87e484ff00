import { describe, expect, it } from 'vitest';
import type { EntryRow } from '../entries/entry-row.js';
import { parseFilter } from './filter-expression.js';
import { compileFilter, compileRowGlob } from './row-predicate.js';

function row(over: Partial<EntryRow>): EntryRow {
  return {
    id: 'e1', seq: 0, startedAt: 0, method: 'GET', url: 'http://api.example.com/users?id=1', host: 'api.example.com',
    path: '/users?id=1', status: 200, entryType: 'http', contentType: 'application/json', typeLabel: 'json',
    durationMs: 12, size: 100, tags: [], notes: '', error: '', mapLocal: false,
    haystack: 'http://api.example.com/users?id=1\nuser-agent: curl/8', ...over,
  };
}

function matches(expr: string, r: EntryRow, bodyMatches?: Set<string>): boolean {
  const p = compileFilter(parseFilter(expr), { bodyMatches: bodyMatches ?? null });
  return p === null ? true : p(r);
}

describe('compileRowGlob', () => {
  it('matches whole hosts with * and ?, case-insensitively', () => {
    expect(compileRowGlob('*.example.com')('api.example.com')).toBe(true);
    expect(compileRowGlob('*.example.com')('a.b.EXAMPLE.com')).toBe(true);
    expect(compileRowGlob('*.example.com')('example.com')).toBe(false);
    expect(compileRowGlob('api?.x.io')('api2.x.io')).toBe(true);
    expect(compileRowGlob('a.b')('axb')).toBe(false);
  });

  it('* crosses / in paths, as in the scope filters', () => {
    expect(compileRowGlob('/api/*')('/api/users/1')).toBe(true);
  });
});

describe('glob clauses stay fast on hostile patterns (issue 8 point 9)', () => {
  it('host: and path: with many stars filter a long row at once', () => {
    const long = 'a'.repeat(5000);
    expect(matches('host:*a*a*a*a*a*a*a*a*b', row({ host: long }))).toBe(false);
    expect(matches('path:/*a*a*a*a*a*a*a*a*b', row({ path: `/${long}` }))).toBe(false);
    expect(matches('path:/*a*a*b', row({ path: `/${long}b` }))).toBe(true);
  });
});

describe('compileFilter', () => {
  it('returns null for an empty filter', () => {
    expect(compileFilter(parseFilter('  '))).toBeNull();
  });

  it('matches free text in the URL and headers, case-insensitively', () => {
    expect(matches('USERS', row({}))).toBe(true);
    expect(matches('curl/8', row({}))).toBe(true);
    expect(matches('orders', row({}))).toBe(false);
    expect(matches('-curl', row({}))).toBe(false);
  });

  it('lets a server body match satisfy a text term', () => {
    expect(matches('needle', row({}), new Set(['e1']))).toBe(true);
    expect(matches('needle', row({ id: 'other' }), new Set(['e1']))).toBe(false);
  });

  it('applies the issue example as an AND of clauses', () => {
    const expr = 'status>=400 method:POST host:*.example.com tag:bug';
    expect(matches(expr, row({ status: 500, method: 'POST', tags: ['bug'] }))).toBe(true);
    expect(matches(expr, row({ status: 500, method: 'POST', tags: ['other'] }))).toBe(false);
    expect(matches(expr, row({ status: 302, method: 'POST', tags: ['bug'] }))).toBe(false);
    expect(matches(expr, row({ status: 500, method: 'POST', tags: ['bug'], host: 'example.org' }))).toBe(false);
  });

  it('handles status classes, none and comparisons', () => {
    expect(matches('status:4xx', row({ status: 404 }))).toBe(true);
    expect(matches('status:4xx,5xx', row({ status: 503 }))).toBe(true);
    expect(matches('status:404', row({ status: 405 }))).toBe(false);
    expect(matches('status:none', row({ status: 0 }))).toBe(true);
    expect(matches('status<300', row({ status: 0 }))).toBe(false);
    expect(matches('-status:2xx', row({ status: 200 }))).toBe(false);
  });

  it('filters by method list, type, tag, path, duration, size and is:', () => {
    expect(matches('method:get,put', row({}))).toBe(true);
    expect(matches('type:json', row({}))).toBe(true);
    expect(matches('type:image', row({}))).toBe(false);
    expect(matches('type:tunnel', row({ entryType: 'tunnel', typeLabel: 'tunnel', contentType: '' }))).toBe(true);
    expect(matches('tag:BUG', row({ tags: ['bug'] }))).toBe(true);
    expect(matches('path:/users*', row({}))).toBe(true);
    expect(matches('path:/orders', row({}))).toBe(false);
    expect(matches('duration>10 size<=100', row({}))).toBe(true);
    expect(matches('duration>100', row({}))).toBe(false);
    expect(matches('is:error', row({ error: 'ECONNREFUSED: refused', status: 0 }))).toBe(true);
    expect(matches('is:tagged', row({}))).toBe(false);
    expect(matches('is:noted', row({ notes: 'look' }))).toBe(true);
    expect(matches('is:injected', row({ injected: { kind: 'error', status: 503 } }))).toBe(true);
    expect(matches('is:injected', row({}))).toBe(false);
    expect(matches('is:modified', row({ modifiedRules: ['requestHeaders[0]'] }))).toBe(true);
    expect(matches('is:modified', row({}))).toBe(false);
    expect(matches('is:mapped', row({ mapLocal: true }))).toBe(true);
  });

  it('matches tunnel hosts with or without the port', () => {
    expect(matches('host:example.com', row({ host: 'example.com:443' }))).toBe(true);
  });

  it('skips clauses with errors rather than filtering everything out', () => {
    expect(matches('status>=abc', row({}))).toBe(true);
  });
});

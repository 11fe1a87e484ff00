import { describe, expect, it } from 'vitest';
import { getFieldValue, parseFilter, setFieldValue, tokenize } from './filter-expression.js';

describe('tokenize', () => {
  it('splits on whitespace and keeps quoted runs', () => {
    expect(tokenize('  a  "b c" d"e f"  ')).toEqual(['a', 'b c', 'de f']);
    expect(tokenize('"say \\"hi\\""')).toEqual(['say "hi"']);
    expect(tokenize('""')).toEqual(['']);
  });
});

describe('parseFilter', () => {
  it('parses the example from the issue', () => {
    const f = parseFilter('status>=400 method:POST host:*.example.com tag:bug');
    expect(f.errors).toEqual([]);
    expect(f.clauses).toEqual([
      { field: 'status', op: '>=', values: ['400'], negate: false },
      { field: 'method', op: ':', values: ['POST'], negate: false },
      { field: 'host', op: ':', values: ['*.example.com'], negate: false },
      { field: 'tag', op: ':', values: ['bug'], negate: false },
    ]);
    expect(f.text).toEqual([]);
  });

  it('treats unknown keys and URLs as free text, lower-cased', () => {
    const f = parseFilter('http://Example.com/x Foo:bar');
    expect(f.clauses.map((c) => c.field)).toEqual(['text', 'text']);
    expect(f.text).toEqual(['http://example.com/x', 'foo:bar']);
  });

  it('supports aliases, comma lists, negation and = as :', () => {
    const f = parseFilter('m:get,post -status:2xx ct=json -secret');
    expect(f.clauses).toEqual([
      { field: 'method', op: ':', values: ['GET', 'POST'], negate: false },
      { field: 'status', op: ':', values: ['2xx'], negate: true },
      { field: 'type', op: ':', values: ['json'], negate: false },
      { field: 'text', value: 'secret', negate: true },
    ]);
    expect(f.text).toEqual([]);
  });

  it('ignores a clause still being typed', () => {
    expect(parseFilter('status:').clauses).toEqual([]);
  });

  it('reports bad values without throwing', () => {
    expect(parseFilter('status>=abc').errors[0]).toMatch(/not a status|number/);
    expect(parseFilter('host>3').errors[0]).toMatch(/cannot be compared/);
    expect(parseFilter('is:nonsense').errors[0]).toMatch(/unknown/);
    expect(parseFilter('status:4xx status:none duration>250 size<=1024').errors).toEqual([]);
  });
});

describe('field values for the dropdowns', () => {
  it('reads and replaces one field without touching the rest', () => {
    const q = 'foo method:GET status>=400';
    expect(getFieldValue(q, 'method')).toBe('GET');
    expect(setFieldValue(q, 'method', 'POST')).toBe('foo status>=400 method:POST');
    expect(setFieldValue(q, 'method', '')).toBe('foo status>=400');
    expect(setFieldValue('"a b"', 'tag', 'my tag')).toBe('"a b" tag:"my tag"');
    expect(getFieldValue('"a b" tag:"my tag"', 'tag')).toBe('my tag');
  });
});

describe('isNarrowing', () => {
  it('is true only when one positive text term grew', async () => {
    const { isNarrowing } = await import('./filter-expression.js');
    expect(isNarrowing(parseFilter('12 method:GET'), parseFilter('123 method:GET'))).toBe(true);
    expect(isNarrowing(parseFilter('12'), parseFilter('1'))).toBe(false);
    expect(isNarrowing(parseFilter(''), parseFilter('1'))).toBe(false);
    expect(isNarrowing(parseFilter('12'), parseFilter('12 x'))).toBe(false);
    expect(isNarrowing(parseFilter('-12'), parseFilter('-123'))).toBe(false);
    expect(isNarrowing(parseFilter('12 method:GET'), parseFilter('123 method:POST'))).toBe(false);
  });
});

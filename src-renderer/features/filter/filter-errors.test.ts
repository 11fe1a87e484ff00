import { describe, expect, it } from 'vitest';
import { parseFilter } from './filter-expression.js';

describe('filter errors say what is wrong and where', () => {
  it('names an unknown field followed by an operator run, with its position', () => {
    const { errors } = parseFilter('nonsense:::(');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^at character 1 \(nonsense:::\(\): "nonsense" is not a filter field \(fields: method, status/);
    expect(parseFilter('method:GET  foo>3').errors[0]).toMatch(/^at character 13 .*"foo" is not a filter field/);
  });

  it('flags a doubled operator on a known field', () => {
    expect(parseFilter('status>=400 status:::5').errors).toEqual([
      'at character 13 (status:::5): status: is followed by another operator ":": write one, e.g. status>=400',
    ]);
  });

  it('reports a quote that never closes', () => {
    expect(parseFilter('host:a.test "oops').errors).toEqual(['at character 13: this quote is never closed']);
  });

  it('still searches text that merely contains a colon, and quoted text is never a clause', () => {
    expect(parseFilter('http://a.test x-request-id:abc').errors).toEqual([]);
    const quoted = parseFilter('"nonsense:::("');
    expect(quoted.errors).toEqual([]);
    expect(quoted.text).toEqual(['nonsense:::(']);
  });
});

import { describe, expect, it } from 'vitest';
import { applyHeaderRules } from './modify-headers.js';

describe('header rules', () => {
  const flat = ['Host', 'h', 'X-A', '1', 'x-a', '2', 'Accept', '*/*'];

  it('applies add, remove and replace in order without changing the input, and says which rules changed it', () => {
    const { headers, applied } = applyHeaderRules(flat, [
      { action: 'remove', name: 'X-Absent' },
      { action: 'replace', name: 'X-A', value: 'one' },
      { action: 'add', name: 'X-New', value: 'n' },
      { action: 'remove', name: 'ACCEPT' },
      { action: 'replace', name: 'X-Missing', value: 'm' },
    ]);
    expect(headers).toEqual(['Host', 'h', 'X-A', 'one', 'X-New', 'n', 'X-Missing', 'm']);
    expect(applied).toEqual([1, 2, 3, 4]);
    expect(flat).toEqual(['Host', 'h', 'X-A', '1', 'x-a', '2', 'Accept', '*/*']);
  });

  it('removes every header of a name whatever its case, and a rule sees what the rules before it did', () => {
    const { headers, applied } = applyHeaderRules(flat, [
      { action: 'add', name: 'x-A', value: '3' },
      { action: 'remove', name: 'x-a' },
      { action: 'remove', name: 'x-a' },
    ]);
    expect(headers).toEqual(['Host', 'h', 'Accept', '*/*']);
    expect(applied).toEqual([0, 1]);
  });

  it('gives a copy when no rule applies', () => {
    const { headers, applied } = applyHeaderRules(flat, [{ action: 'remove', name: 'nope' }]);
    expect(headers).toEqual(flat);
    expect(headers).not.toBe(flat);
    expect(applied).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { compileGlob, compileGlobs, hasWildcard, matchGlob } from './glob.js';

/**
 * A string that counts the characters the matcher looks at: charCodeAt reads one, indexOf is charged for every
 * position it may have scanned. The bound then does not depend on how fast the machine is.
 */
class CountingString extends String {
  steps = 0;
  override charCodeAt(index: number): number {
    this.steps++;
    return super.charCodeAt(index);
  }
  override indexOf(search: string, from = 0): number {
    const at = super.indexOf(search, from);
    this.steps += (at === -1 ? this.length : at + search.length) - from;
    return at;
  }
}

function stepsFor(pattern: string, text: string): { matched: boolean; steps: number } {
  const counting = new CountingString(text);
  const matched = compileGlob(pattern)(counting as unknown as string);
  return { matched, steps: counting.steps };
}

describe('glob semantics', () => {
  it('* matches any run, / and . included; ** is the same as *', () => {
    expect(matchGlob('/api/*', '/api/users/1')).toBe(true);
    expect(matchGlob('/api/*', '/api/')).toBe(true);
    expect(matchGlob('/api/*', '/api')).toBe(false);
    expect(matchGlob('/charles/*', '/charles/docs/index.html')).toBe(true);
    expect(matchGlob('/api/**', '/api/a/b/c')).toBe(true);
    expect(matchGlob('/api/**/x', '/api/a/b/x')).toBe(true);
    expect(matchGlob('/api/*/details', '/api/orders/1/details')).toBe(true);
    expect(matchGlob('/api/*/details', '/api/details')).toBe(false);
    expect(matchGlob('*', '')).toBe(true);
    expect(matchGlob('**', '/x/y')).toBe(true);
  });

  it('? matches exactly one character', () => {
    expect(matchGlob('/v?/x', '/v1/x')).toBe(true);
    expect(matchGlob('/v?/x', '/v/x')).toBe(false);
    expect(matchGlob('/v?/x', '/v12/x')).toBe(false);
    expect(matchGlob('*.?x', 'a.bx')).toBe(true);
    expect(matchGlob('a*?b', 'ab')).toBe(false);
    expect(matchGlob('a*?b', 'acb')).toBe(true);
  });

  it('without wildcards the whole text must be equal; other glob syntax is literal', () => {
    expect(matchGlob('/api', '/api')).toBe(true);
    expect(matchGlob('/api', '/api/x')).toBe(false);
    expect(matchGlob('/a.b', '/axb')).toBe(false);
    expect(matchGlob('/{a,b}', '/{a,b}')).toBe(true);
    expect(matchGlob('/{a,b}', '/a')).toBe(false);
    expect(matchGlob('/[ab]', '/a')).toBe(false);
    expect(matchGlob('(x)+', '(x)+')).toBe(true);
  });

  it('prefix and suffix segments may not overlap', () => {
    expect(matchGlob('ab*ba', 'aba')).toBe(false);
    expect(matchGlob('ab*ba', 'abba')).toBe(true);
    expect(matchGlob('a*a*a', 'aa')).toBe(false);
    expect(matchGlob('a*a*a', 'aaa')).toBe(true);
    expect(matchGlob('*ab*ab', 'xabab')).toBe(true);
    expect(matchGlob('*ab*ab', 'xab')).toBe(false);
  });

  it('hosts: *.example.com matches any depth of subdomain, not the bare domain, case-insensitively', () => {
    const host = compileGlob('*.Example.com', { caseInsensitive: true });
    expect(host('api.example.com')).toBe(true);
    expect(host('a.b.c.EXAMPLE.COM')).toBe(true);
    expect(host('example.com')).toBe(false);
    expect(host('evil-example.com')).toBe(false);
    expect(matchGlob('*.Example.com', 'api.example.com')).toBe(false);
  });

  it('compileGlobs accepts on any pattern and is undefined for no patterns', () => {
    expect(compileGlobs(undefined)).toBeUndefined();
    expect(compileGlobs([])).toBeUndefined();
    const any = compileGlobs(['/a/*', '*.json'], {});
    expect(any?.('/a/b')).toBe(true);
    expect(any?.('/x/y.json')).toBe(true);
    expect(any?.('/x/y')).toBe(false);
  });

  it('hasWildcard', () => {
    expect(hasWildcard('a*')).toBe(true);
    expect(hasWildcard('a?')).toBe(true);
    expect(hasWildcard('/plain')).toBe(false);
  });

  it('agrees with a brute-force reference on every short pattern and text', () => {
    const reference = (p: string, t: string): boolean => {
      if (p === '') return t === '';
      if (p[0] === '*') return [...Array(t.length + 1).keys()].some((k) => reference(p.slice(1), t.slice(k)));
      return t !== '' && (p[0] === '?' || p[0] === t[0]) && reference(p.slice(1), t.slice(1));
    };
    const words = (alphabet: string, max: number): string[] => {
      const out = [''];
      for (let i = 0; i < out.length; i++) if ((out[i] as string).length < max) for (const c of alphabet) out.push(out[i] + c);
      return out;
    };
    const texts = words('ab', 5);
    for (const pattern of words('ab*?', 4)) {
      const glob = compileGlob(pattern);
      for (const text of texts) expect([pattern, text, glob(text)]).toEqual([pattern, text, reference(pattern, text)]);
    }
  });
});

describe('glob cost is linear, whatever the pattern (issue 8 point 9)', () => {
  it('the pattern that froze the server looks at each character a bounded number of times', () => {
    const path = `/${'a'.repeat(250)}`;
    const { matched, steps } = stepsFor('/*a*a*a*a*b', path);
    expect(matched).toBe(false);
    // Prefix, suffix and one left-to-right pass for the middle segments: a few times the text, not 250^5.
    expect(steps).toBeLessThanOrEqual(4 * path.length);
  });

  it('stays within text × pattern for ? segments and many stars on a long text', () => {
    const pattern = `/${'*a?a'.repeat(50)}*b`;
    const text = `/${'a'.repeat(20_000)}`;
    const { matched, steps } = stepsFor(pattern, text);
    expect(matched).toBe(false);
    expect(steps).toBeLessThanOrEqual(text.length * pattern.length);
  });

  it('a long star-only pattern on a long text is one pass per segment at most', () => {
    const pattern = `${'*a'.repeat(500)}*b`;
    const text = 'a'.repeat(100_000);
    const { matched, steps } = stepsFor(pattern, text);
    expect(matched).toBe(false);
    expect(steps).toBeLessThanOrEqual(2 * (text.length + pattern.length));
  });
});

import { describe, expect, it } from 'vitest';
import { checkRoute, compileRoute, mockOrder, regexLiteralPrefix } from './mock-routes.js';

const matches = (route: string, path: string, method = 'GET', ...httpMethod: [string | undefined] | []) =>
  compileRoute({ route, httpMethod: httpMethod.length ? httpMethod[0] : 'GET' })(method, path);

describe('Mockarty routes', () => {
  it('match ":name" as one non-empty segment and the rest literally', () => {
    expect(matches('/api/users/:id', '/api/users/42')).toBe(true);
    expect(matches('/api/users/:id', '/api/users/42/')).toBe(true);
    expect(matches('/api/users/:id', '/api/users/')).toBe(false);
    expect(matches('/api/users/:id', '/api/users')).toBe(false);
    expect(matches('/api/users/:id', '/api/users/42/posts')).toBe(false);
    expect(matches('/api/users/:id', '/api/people/42')).toBe(false);
    expect(matches('/api/:kind/:id/posts', '/api/users/7/posts')).toBe(true);
    expect(matches('/', '/')).toBe(true);
    expect(matches('/', '/x')).toBe(false);
    expect(matches('/:id', '/')).toBe(false);
  });

  it('compare literal segments percent-decoded, and the case of the path exactly', () => {
    expect(matches('/files/a b', '/files/a%20b')).toBe(true);
    expect(matches('/files/a%20b', '/files/a b')).toBe(true);
    expect(matches('/Files', '/files')).toBe(false);
    expect(matches('/files/%zz', '/files/%zz')).toBe(true);
  });

  it('match the method in any case; absent or "*" is any method', () => {
    expect(matches('/a', '/a', 'get', 'GET')).toBe(true);
    expect(matches('/a', '/a', 'POST', 'get')).toBe(false);
    expect(matches('/a', '/a', 'DELETE', undefined)).toBe(true);
    expect(matches('/a', '/a', 'PATCH', '*')).toBe(true);
  });
});

describe('regex routes', () => {
  it('are routes starting with "^" or any routePattern, matched against the whole path', () => {
    expect(matches('^/api/v[0-9]+/items', '/api/v2/items')).toBe(true);
    expect(matches('^/api/v[0-9]+/items', '/api/v2/items/9')).toBe(false);
    expect(matches('^/api/v[0-9]+/items.*', '/api/v2/items/9')).toBe(true);
    expect(matches('^/a$', '/a')).toBe(true);
    const byPattern = compileRoute({ route: '/label/only', routePattern: '/orders/\\d+', httpMethod: 'GET' });
    expect(byPattern('GET', '/orders/12')).toBe(true);
    expect(byPattern('GET', '/label/only')).toBe(false);
    expect(byPattern('GET', '/x/orders/12')).toBe(false);
  });

  it('run on RE2: a pattern that backtracks exponentially elsewhere answers at once', () => {
    const path = `/${'a'.repeat(50_000)}!`;
    const started = performance.now();
    expect(matches('^/(a+)+$', path)).toBe(false);
    // Linear time: a backtracking engine would not finish this in a lifetime.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe('checkRoute', () => {
  it('says what is wrong with a route', () => {
    expect(checkRoute('/api/users/:id', false)).toBeUndefined();
    expect(checkRoute('api/users', false)).toMatch(/must start with "\/"/);
    expect(checkRoute('/a?b=1', false)).toMatch(/query string is not matched/);
    expect(checkRoute('/a/:', false)).toMatch(/parameter segment ":"/);
    expect(checkRoute('/a/:1x', false)).toMatch(/parameter segment/);
    expect(checkRoute('^/a(', false)).toMatch(/not a valid regex \(RE2 syntax\)/);
    expect(checkRoute('^/(?=a)', false)).toMatch(/not a valid regex/);
    expect(checkRoute('/anything(', true)).toMatch(/not a valid regex/);
  });

  it('is what compileRoute refuses too', () => {
    expect(() => compileRoute({ route: 'nope' })).toThrow(/must start with/);
  });
});

describe('mockOrder', () => {
  it('puts higher priority first, then the older mock, absent priority counting as 0', () => {
    const items = [
      { id: 'a', p: undefined, at: 1 },
      { id: 'b', p: 5, at: 2 },
      { id: 'c', p: -1, at: 0 },
      { id: 'd', p: 5, at: 1 },
      { id: 'e', p: 0, at: 0 },
    ];
    expect(mockOrder(items, (i) => i.p, (i) => i.at).map((i) => i.id)).toEqual(['d', 'b', 'e', 'a', 'c']);
    expect(items[0]!.id).toBe('a');
  });
});

describe('regexLiteralPrefix', () => {
  it('is the literal start every whole-path match shares, or empty when unsure', () => {
    expect(regexLiteralPrefix('^/api/v[0-9]+/items')).toBe('/api/v');
    expect(regexLiteralPrefix('/files/.*\\.png')).toBe('/files/');
    expect(regexLiteralPrefix('^/ab?c')).toBe('/a');
    expect(regexLiteralPrefix('^/ab*c')).toBe('/a');
    expect(regexLiteralPrefix('^/ab{0,2}')).toBe('/a');
    expect(regexLiteralPrefix('^/ab+c')).toBe('/ab');
    expect(regexLiteralPrefix('^/a|^/b')).toBe('');
    expect(regexLiteralPrefix('(?i)^/api')).toBe('');
    expect(regexLiteralPrefix('^\\/api')).toBe('');
  });

  it('never turns away a path the regex matches', () => {
    const cases: Array<[string, string]> = [['^/ab?c', '/ac'], ['^/ab*c', '/ac'], ['^/ab{0,2}c', '/ac'], ['^/x(y)?', '/x'], ['/files/.*\\.png', '/files/a.png']];
    for (const [route, path] of cases) expect(matches(route.startsWith('^') ? route : '^' + route, path, 'GET'), route).toBe(true);
  });
});

/**
 * How a mock's `http` block matches a request: method and route only, as the reference's map local does
 * (conditions, query and headers are not evaluated). Pure functions, shared by validation (mocks.ts) and the
 * engine's map local stage, so a route that validates is the route that runs.
 *
 * - A route starting with "/" is a Mockarty route: `/api/users/:id`, where `:name` matches one non-empty path
 *   segment and every other segment is literal (compared percent-decoded). One trailing slash is not significant.
 * - A route starting with "^", or any `routePattern`, is a regex: RE2 (re2js: linear time, so no user pattern can
 *   stall the proxy), matched against the WHOLE path as sent (percent-encoding kept, query left out), as if it
 *   ended in "$". `routePattern` wins over `route` when both are given.
 * - `httpMethod` matches any case; absent or "*" matches every method.
 *
 * Which mock wins when several match: mockOrder() (priority, higher first, as Mockarty's SDKs document it:
 * "higher = matched first"; then the older mock).
 */
import { RE2JS } from 're2js';

const PARAM = /^:[A-Za-z_][\w-]*$/;

/** A route's problem in words, or undefined when it is a route this module can run. */
export function checkRoute(route: string, isPattern: boolean): string | undefined {
  if (isPattern || route.startsWith('^')) {
    try {
      RE2JS.compile(route);
      return undefined;
    } catch (e) {
      return `is not a valid regex (RE2 syntax): ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  if (!route.startsWith('/')) return 'must start with "/" (a path such as /api/users/:id) or "^" (a regex)';
  if (/[?#]/.test(route)) return 'is a path only: the query string is not matched (leave out "?" and "#")';
  const bad = route.split('/').find((segment) => segment.startsWith(':') && !PARAM.test(segment));
  if (bad !== undefined) return `has the parameter segment "${bad}": write ":name" (letters, digits, "_", "-")`;
  return undefined;
}

export interface RouteSpec {
  route: string;
  routePattern?: string | undefined;
  httpMethod?: string | undefined;
}

/** A compiled matcher: true when `method` and `path` (no query) match. Throws on a route checkRoute refuses. */
export function compileRoute(spec: RouteSpec): (method: string, path: string) => boolean {
  const method = spec.httpMethod && spec.httpMethod !== '*' ? spec.httpMethod.toUpperCase() : undefined;
  const path = pathMatcher(spec);
  if (!method) return (_m, p) => path(p);
  return (m, p) => m.toUpperCase() === method && path(p);
}

function pathMatcher(spec: RouteSpec): (path: string) => boolean {
  const pattern = spec.routePattern ?? (spec.route.startsWith('^') ? spec.route : undefined);
  if (pattern !== undefined) {
    const problem = checkRoute(pattern, true);
    if (problem) throw new Error(`route ${JSON.stringify(pattern)} ${problem}`);
    const regex = RE2JS.compile(pattern);
    return (path) => regex.matches(path);
  }
  const problem = checkRoute(spec.route, false);
  if (problem) throw new Error(`route ${JSON.stringify(spec.route)} ${problem}`);
  const segments = splitPath(spec.route).map((s) => (PARAM.test(s) ? undefined : decodeSegment(s)));
  return (path) => {
    const parts = splitPath(path);
    if (parts.length !== segments.length) return false;
    for (let i = 0; i < parts.length; i++) {
      const want = segments[i];
      if (want === undefined ? parts[i] === '' : decodeSegment(parts[i]!) !== want) return false;
    }
    return true;
  };
}

/** Segments after the leading "/", one trailing "/" dropped ("/" itself is one empty segment). */
function splitPath(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed.slice(1).split('/');
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * The order map local tries mocks in: higher `priority` first (absent is 0), then the order they were created
 * in (`created`: smaller is older). Returns a new array.
 */
export function mockOrder<T>(items: readonly T[], priority: (item: T) => number | undefined, created: (item: T) => number): T[] {
  return [...items].sort((a, b) => (priority(b) ?? 0) - (priority(a) ?? 0) || created(a) - created(b));
}

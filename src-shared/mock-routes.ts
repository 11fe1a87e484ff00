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

/**
 * A request path, split and decoded once for all the routes it is tried against (map local may hold thousands).
 * `raw` is the path as sent (no query); `parts` its segments, one trailing "/" dropped; `decoded` the segments
 * percent-decoded and joined again, which a Mockarty route's literal start must begin.
 */
export class RoutePath {
  readonly parts: readonly string[];
  private decodedParts: string[] | undefined;
  private joined: string | undefined;

  constructor(readonly raw: string) {
    this.parts = splitPath(raw);
  }

  segment(i: number): string {
    this.decodedParts ??= this.parts.map(decodeSegment);
    return this.decodedParts[i]!;
  }

  get decoded(): string {
    this.joined ??= `/${this.parts.map((_, i) => this.segment(i)).join('/')}`;
    return this.joined;
  }
}

type PathMatcher = (path: RoutePath) => boolean;

/** A compiled matcher: true when `method` and `path` (no query) match. Throws on a route checkRoute refuses. */
export function compileRoute(spec: RouteSpec): (method: string, path: string | RoutePath) => boolean {
  const method = spec.httpMethod && spec.httpMethod !== '*' ? spec.httpMethod.toUpperCase() : undefined;
  const matcher = pathMatcher(spec);
  const of = (p: string | RoutePath) => (typeof p === 'string' ? new RoutePath(p) : p);
  if (!method) return (_m, p) => matcher(of(p));
  // Node hands methods over in upper case already: compare first, convert only when that fails.
  return (m, p) => (m === method || m.toUpperCase() === method) && matcher(of(p));
}

function pathMatcher(spec: RouteSpec): PathMatcher {
  const pattern = spec.routePattern ?? (spec.route.startsWith('^') ? spec.route : undefined);
  if (pattern !== undefined) {
    const problem = checkRoute(pattern, true);
    if (problem) throw new Error(`route ${JSON.stringify(pattern)} ${problem}`);
    const regex = RE2JS.compile(pattern);
    // A literal start is checked first: a plain string comparison costs far less than running RE2.
    const prefix = regexLiteralPrefix(pattern);
    return (path) => path.raw.startsWith(prefix) && regex.matches(path.raw);
  }
  const problem = checkRoute(spec.route, false);
  if (problem) throw new Error(`route ${JSON.stringify(spec.route)} ${problem}`);
  const segments = splitPath(spec.route).map((s) => (PARAM.test(s) ? undefined : decodeSegment(s)));
  const literal = segments.indexOf(undefined);
  const prefix = `/${(literal < 0 ? segments : segments.slice(0, literal)).join('/')}`;
  return (path) => {
    if (path.parts.length !== segments.length || !path.decoded.startsWith(prefix)) return false;
    for (let i = 0; i < segments.length; i++) {
      const want = segments[i];
      if (want === undefined ? path.parts[i] === '' : path.segment(i) !== want) return false;
    }
    return true;
  };
}

/**
 * The text every whole-path match of `pattern` starts with: from its start (after a "^") up to the first character
 * RE2 gives a meaning to, less the last literal when a quantifier may leave it out. Empty when unsure (an
 * alternation, a flag group, an escape).
 */
export function regexLiteralPrefix(pattern: string): string {
  if (pattern.includes('|')) return '';
  let prefix = '';
  for (let i = pattern.startsWith('^') ? 1 : 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    // "a?", "a*", "a{0,2}" may leave the "a" out; "a+" may not.
    if ('?*{'.includes(c)) return prefix.slice(0, -1);
    if ('\\.^$+()[]}'.includes(c)) return prefix;
    prefix += c;
  }
  return prefix;
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

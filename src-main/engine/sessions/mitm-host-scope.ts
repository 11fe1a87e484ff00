/**
 * Which hosts an intercepting session decrypts, decided by our own glob matcher (src-shared/glob.ts) instead of
 * mockttp's.
 *
 * mockttp 4.6.5 (pinned; re-check on upgrade) turns each `tlsPassthrough`/`tlsInterceptOnly` hostname into a
 * URLPattern, i.e. a regex: `*a*a*a*a*b` against a long CONNECT host backtracks polynomially on the event loop
 * that serves every session, and a hostname such as `a{b` or `x(y` makes the session fail to start. So we hand
 * mockttp one harmless literal marker hostname per session and replace its `shouldPassThrough` (looked up on the
 * module at every call by http-combo-server.js): for a marker it asks the session's compiled globs, for anything
 * else it defers to mockttp.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { compileGlobs, type GlobMatcher } from '../../../src-shared/glob.js';

const require = createRequire(import.meta.url);
const mockttpDist = path.dirname(require.resolve('mockttp'));

/** `.invalid` is reserved (RFC 2606): the marker can never be a real destination. */
const MARKER = /^tr-host-scope-(\d+)\.invalid$/;

interface UrlMatcher {
  readonly hostname: string;
  test(input: string): boolean;
}
type ShouldPassThrough = (hostname: string | undefined, passThrough: UrlMatcher[], interceptOnly: UrlMatcher[] | undefined) => boolean;

const scopes = new Map<number, GlobMatcher>();
// mockttp keeps the options object (and so our marker item) as long as the session's server lives; once the
// server is collected, its globs go too.
const release = new FinalizationRegistry<number>((id) => scopes.delete(id));
let nextId = 1;
let installed = false;

function scopeOf(patterns: UrlMatcher[] | undefined): GlobMatcher | undefined {
  if (patterns?.length !== 1) return undefined;
  const marker = MARKER.exec((patterns[0] as UrlMatcher).hostname);
  return marker ? scopes.get(Number(marker[1])) : undefined;
}

/** CONNECT targets may come bracketed (IPv6); SNI never carries a port. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

function install(): void {
  if (installed) return;
  installed = true;
  const utils = require(path.join(mockttpDist, 'util', 'server-utils.js')) as { shouldPassThrough: ShouldPassThrough };
  const original = utils.shouldPassThrough;
  utils.shouldPassThrough = (hostname, passThrough, interceptOnly) => {
    const scope = scopeOf(interceptOnly ?? passThrough);
    if (!scope) return original(hostname, passThrough, interceptOnly);
    if (!hostname) return false;
    const listed = scope(bareHost(hostname));
    return interceptOnly ? !listed : listed;
  };
}

/**
 * The value for mockttp's `tlsInterceptOnly` (hosts to decrypt) or `tlsPassthrough` (hosts to leave blind):
 * host globs, case-insensitive, `*.example.com` matching every depth of subdomain.
 */
export function hostScopeList(hosts: readonly string[]): Array<{ hostname: string }> {
  install();
  const id = nextId++;
  const matcher = compileGlobs(hosts, { caseInsensitive: true });
  if (!matcher) throw new Error('internal: a host scope needs at least one pattern');
  scopes.set(id, matcher);
  const item = { hostname: `tr-host-scope-${id}.invalid` };
  release.register(item, id);
  return [item];
}

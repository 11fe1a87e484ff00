/**
 * Scope filters decide what is RECORDED, never what is forwarded. Evaluation follows the recorder reference:
 * includeHosts (must match one) → excludeHosts (skip on any match) → includePaths → excludePaths →
 * includeMethods (must be listed) → excludeStatus (discard once the status is known).
 * Globs (src-shared/glob.ts): `*` matches any run of characters, `/` included, so `/v1/*` records everything below
 * `/v1/` (the reference's own Stripe example); `?` one character; linear-time whatever the pattern.
 * Hosts are matched case-insensitively without the port, paths without the query string.
 */
import { compileGlobs } from '../../../src-shared/glob.js';
import type { ScopeFilters } from '../../../src-shared/model.js';

export interface CompiledScopeFilter {
  /** Decided before the response: host, path and method dimensions. */
  acceptsRequest(method: string, url: URL): boolean;
  acceptsStatus(status: number | undefined): boolean;
  /** For CONNECT tunnels, where only the host is known: the host dimensions alone. */
  acceptsHost(host: string): boolean;
  /** True when no dimension is set: callers may skip the checks entirely. */
  readonly allowsAll: boolean;
}

const HOSTS = { caseInsensitive: true };

export function hostOf(url: URL): string {
  const host = url.hostname;
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

export function compileScopeFilter(filters: ScopeFilters | undefined): CompiledScopeFilter {
  const includeHosts = compileGlobs(filters?.includeHosts, HOSTS);
  const excludeHosts = compileGlobs(filters?.excludeHosts, HOSTS);
  const includePaths = compileGlobs(filters?.includePaths);
  const excludePaths = compileGlobs(filters?.excludePaths);
  const methods = filters?.includeMethods?.length ? new Set(filters.includeMethods.map((m) => m.toUpperCase())) : undefined;
  const statuses = filters?.excludeStatus?.length ? new Set(filters.excludeStatus) : undefined;
  const requestDimensions = includeHosts || excludeHosts || includePaths || excludePaths || methods;

  return {
    allowsAll: !requestDimensions && !statuses,
    acceptsRequest(method, url) {
      if (!requestDimensions) return true;
      if (includeHosts || excludeHosts) {
        const host = hostOf(url);
        if (includeHosts && !includeHosts(host)) return false;
        if (excludeHosts?.(host)) return false;
      }
      if (includePaths || excludePaths) {
        const path = url.pathname || '/';
        if (includePaths && !includePaths(path)) return false;
        if (excludePaths?.(path)) return false;
      }
      if (methods && !methods.has(method.toUpperCase())) return false;
      return true;
    },
    acceptsHost(host) {
      const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
      if (includeHosts && !includeHosts(bare)) return false;
      return !excludeHosts?.(bare);
    },
    acceptsStatus(status) {
      return !statuses || status === undefined || !statuses.has(status);
    },
  };
}

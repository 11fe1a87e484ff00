import { describe, expect, it } from 'vitest';
import { compileScopeFilter } from './scope-filter.js';

const accepts = (filters: Parameters<typeof compileScopeFilter>[0], method: string, url: string) =>
  compileScopeFilter(filters).acceptsRequest(method, new URL(url));

describe('scope filters (reference semantics)', () => {
  it('allows everything when empty', () => {
    const f = compileScopeFilter({});
    expect(f.allowsAll).toBe(true);
    expect(f.acceptsRequest('DELETE', new URL('http://x.test/anything'))).toBe(true);
    expect(f.acceptsStatus(500)).toBe(true);
  });

  it('includeHosts needs one match; globs match subdomains but not the bare domain', () => {
    const filters = { includeHosts: ['api.example.com', '*.internal.corp'] };
    expect(accepts(filters, 'GET', 'https://api.example.com/x')).toBe(true);
    expect(accepts(filters, 'GET', 'https://API.Example.com:8443/x')).toBe(true);
    expect(accepts(filters, 'GET', 'http://auth.internal.corp/x')).toBe(true);
    expect(accepts(filters, 'GET', 'http://internal.corp/x')).toBe(false);
    expect(accepts(filters, 'GET', 'http://other.example.com/x')).toBe(false);
  });

  it('excludeHosts wins over includeHosts', () => {
    const filters = { includeHosts: ['*.example.com'], excludeHosts: ['telemetry.example.com'] };
    expect(accepts(filters, 'GET', 'https://api.example.com/')).toBe(true);
    expect(accepts(filters, 'GET', 'https://telemetry.example.com/')).toBe(false);
  });

  it('paths: reference examples, query ignored, * within a segment, ** across', () => {
    expect(accepts({ includePaths: ['/api/v1/*'] }, 'GET', 'http://h/api/v1/users?page=2')).toBe(true);
    expect(accepts({ includePaths: ['/api/v1/*'] }, 'GET', 'http://h/api/v1/orders')).toBe(true);
    expect(accepts({ includePaths: ['/api/v1/*'] }, 'GET', 'http://h/api/v2/orders')).toBe(false);
    expect(accepts({ includePaths: ['/api/*/details'] }, 'GET', 'http://h/api/users/details')).toBe(true);
    expect(accepts({ includePaths: ['/api/*/details'] }, 'GET', 'http://h/api/orders/details')).toBe(true);
    expect(accepts({ includePaths: ['/api/*/details'] }, 'GET', 'http://h/api/orders/1/details')).toBe(false);
    expect(accepts({ includePaths: ['/api/**'] }, 'GET', 'http://h/api/orders/1/details')).toBe(true);
    const both = { includePaths: ['/api/*'], excludePaths: ['/api/healthcheck', '/api/metrics'] };
    expect(accepts(both, 'GET', 'http://h/api/users')).toBe(true);
    expect(accepts(both, 'GET', 'http://h/api/healthcheck')).toBe(false);
  });

  it('includeMethods is case-insensitive; excludeStatus discards once the status is known', () => {
    const f = compileScopeFilter({ includeMethods: ['get', 'POST'], excludeStatus: [304, 204] });
    expect(f.acceptsRequest('GET', new URL('http://h/'))).toBe(true);
    expect(f.acceptsRequest('post', new URL('http://h/'))).toBe(true);
    expect(f.acceptsRequest('DELETE', new URL('http://h/'))).toBe(false);
    expect(f.acceptsStatus(200)).toBe(true);
    expect(f.acceptsStatus(304)).toBe(false);
    expect(f.acceptsStatus(undefined)).toBe(true);
  });

  it('evaluates dimensions in order: every dimension must pass', () => {
    const f = { includeHosts: ['a.test'], includePaths: ['/v1/*'], includeMethods: ['GET'] };
    expect(accepts(f, 'GET', 'http://a.test/v1/x')).toBe(true);
    expect(accepts(f, 'GET', 'http://b.test/v1/x')).toBe(false);
    expect(accepts(f, 'GET', 'http://a.test/v2/x')).toBe(false);
    expect(accepts(f, 'PUT', 'http://a.test/v1/x')).toBe(false);
  });

  it('tunnels are judged on host dimensions alone', () => {
    const f = compileScopeFilter({ includeHosts: ['*.example.com'], includePaths: ['/only/*'] });
    expect(f.acceptsHost('api.example.com')).toBe(true);
    expect(f.acceptsHost('evil.test')).toBe(false);
  });
});

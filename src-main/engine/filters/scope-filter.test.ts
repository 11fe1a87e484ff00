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

  it('paths: reference examples, query ignored, * matches across / (as in Charles), ** is the same', () => {
    expect(accepts({ includePaths: ['/api/v1/*'] }, 'GET', 'http://h/api/v1/users?page=2')).toBe(true);
    expect(accepts({ includePaths: ['/api/v1/*'] }, 'GET', 'http://h/api/v1/orders')).toBe(true);
    expect(accepts({ includePaths: ['/api/v1/*'] }, 'GET', 'http://h/api/v2/orders')).toBe(false);
    expect(accepts({ includePaths: ['/api/*/details'] }, 'GET', 'http://h/api/users/details')).toBe(true);
    expect(accepts({ includePaths: ['/api/*/details'] }, 'GET', 'http://h/api/orders/1/details')).toBe(true);
    expect(accepts({ includePaths: ['/api/*/details'] }, 'GET', 'http://h/api/orders/1/summary')).toBe(false);
    expect(accepts({ includePaths: ['/api/**'] }, 'GET', 'http://h/api/orders/1/details')).toBe(true);
    const both = { includePaths: ['/api/*'], excludePaths: ['/api/healthcheck', '/api/metrics'] };
    expect(accepts(both, 'GET', 'http://h/api/users')).toBe(true);
    expect(accepts(both, 'GET', 'http://h/api/healthcheck')).toBe(false);
  });

  it('the reference Stripe example /v1/* records every path below /v1/, at any depth', () => {
    const stripe = { includePaths: ['/v1/*'] };
    expect(accepts(stripe, 'POST', 'https://api.stripe.com/v1/charges')).toBe(true);
    expect(accepts(stripe, 'GET', 'https://api.stripe.com/v1/customers/cus_123/sources/card_9')).toBe(true);
    expect(accepts(stripe, 'GET', 'https://api.stripe.com/v2/charges')).toBe(false);
    expect(accepts(stripe, 'GET', 'https://api.stripe.com/v1')).toBe(false);
  });

  it('? matches one character; paths compare case-sensitively, hosts do not', () => {
    expect(accepts({ includePaths: ['/v?/x'] }, 'GET', 'http://h/v2/x')).toBe(true);
    expect(accepts({ includePaths: ['/v?/x'] }, 'GET', 'http://h/v10/x')).toBe(false);
    expect(accepts({ includePaths: ['/API/*'] }, 'GET', 'http://h/api/x')).toBe(false);
    expect(accepts({ includeHosts: ['*.EXAMPLE.com'] }, 'GET', 'http://a.b.example.COM/')).toBe(true);
  });

  it('a pathological path pattern answers at once and correctly', () => {
    const f = compileScopeFilter({ includePaths: ['/*a*a*a*a*b'] });
    expect(f.acceptsRequest('GET', new URL(`http://h/${'a'.repeat(250)}`))).toBe(false);
    expect(f.acceptsRequest('GET', new URL(`http://h/${'a'.repeat(250)}b`))).toBe(true);
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

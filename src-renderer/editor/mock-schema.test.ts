import { describe, expect, it } from 'vitest';
import { mockSchema } from '../../src-shared/mocks.js';
import { mockJsonSchema } from './mock-schema.js';
import { jsonPaths, zodPaths } from './schema-paths.js';

describe('mockJsonSchema', () => {
  it('offers every field the mock store accepts, at every depth, and nothing else', () => {
    const accepted = [...zodPaths(mockSchema, '', new Set())].sort();
    const offered = [...jsonPaths(mockJsonSchema(), '', new Set())].sort();
    expect(offered).toEqual(accepted);
    expect(offered).toEqual(expect.arrayContaining(['.http.route', '.http.httpMethod', '.response.statusCode', '.response.headers', '.oneOf.responses[].delay']));
    // Only what the store itself takes as any JSON (a payload, Mockarty's kept fields) is open.
    expect(offered.filter((p) => p.endsWith(':any'))).toEqual(accepted.filter((p) => p.endsWith(':any')));
    expect(offered).toContain('.response.payload:any');
  });

  it('refuses unknown fields and wrong types the way the store does', () => {
    const schema = mockJsonSchema() as { additionalProperties?: unknown; properties: Record<string, { properties?: Record<string, { type?: unknown }> }> };
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.response?.properties?.statusCode?.type).toBe('integer');
  });
});

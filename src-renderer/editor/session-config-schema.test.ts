import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NOT_YET_SUPPORTED_OPTIONS, startSessionSchema } from '../../src-shared/schemas.js';
import { jsonPaths, zodPaths } from './schema-paths.js';
import { sessionConfigJsonSchema } from './session-config-schema.js';

type Schema = { properties: Record<string, { description?: string; properties?: Record<string, unknown> }>; additionalProperties?: unknown; $schema?: string };

const refused = (key: string) => (NOT_YET_SUPPORTED_OPTIONS as readonly string[]).includes(key);

/** What the server accepts, independently derived: its zod schema as JSON Schema, minus what it refuses. */
function serverSchema(): Schema {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(startSessionSchema, { unrepresentable: 'any', io: 'input' }) as Schema;
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([key]) => !refused(key)));
  return { ...schema, properties };
}

describe('sessionConfigJsonSchema', () => {
  it('equals the JSON Schema generated from the server\'s start schema, without the options it refuses', () => {
    expect(sessionConfigJsonSchema()).toEqual(serverSchema());
  });

  it('has every field the server accepts, at every depth, and nothing else', () => {
    const accepted = [...zodPaths(startSessionSchema, '', new Set())].filter((p) => !refused(p.slice(1).split(/[.[:]/)[0]!)).sort();
    const offered = [...jsonPaths(sessionConfigJsonSchema(), '', new Set())].sort();
    expect(offered).toEqual(accepted);
    expect(accepted).toEqual(expect.arrayContaining([
      '.toxics.http.match.method', '.toxics.http[].failFirst', '.toxics.grpc[].timeoutRate', '.toxics.seed',
      '.modifications.requestHeaders[].action', '.modifications.urlRewrites[].replace', '.modifications.bodyReplacements[].isRegex',
    ]));
    // No place takes anything: each accepted value is described by a type, an enum or a union of them.
    expect(offered.filter((p) => p.endsWith(':any'))).toEqual([]);
  });

  it('offers exactly the top-level keys the server accepts, each described, and nothing the server refuses', () => {
    const schema = sessionConfigJsonSchema() as Schema;
    const accepted = Object.keys(startSessionSchema.shape).filter((key) => !refused(key));
    expect(Object.keys(schema.properties).sort()).toEqual(accepted.sort());
    for (const option of NOT_YET_SUPPORTED_OPTIONS) expect(schema.properties[option], option).toBeUndefined();
    expect(schema.properties.modifications, 'modifications').toBeDefined();
    expect(schema.properties.toxics, 'toxics').toBeDefined();
    expect(schema.additionalProperties).toBe(false);
    for (const [key, property] of Object.entries(schema.properties)) expect(property.description, key).toBeTruthy();
    expect(Object.keys(schema.properties.mitm?.properties ?? {})).toEqual(['enabled', 'includeHosts', 'excludeHosts']);
  });
});

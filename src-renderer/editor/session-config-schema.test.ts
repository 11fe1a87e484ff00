import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NOT_YET_SUPPORTED_OPTIONS, startSessionSchema } from '../../src-shared/schemas.js';
import { sessionConfigJsonSchema } from './session-config-schema.js';

type Schema = { properties: Record<string, { description?: string; properties?: Record<string, unknown> }>; additionalProperties?: unknown; $schema?: string };

const refused = (key: string) => (NOT_YET_SUPPORTED_OPTIONS as readonly string[]).includes(key);

/** What the server accepts, independently derived: its zod schema as JSON Schema, minus what it refuses. */
function serverSchema(): Schema {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(startSessionSchema, { unrepresentable: 'any', io: 'input' }) as Schema;
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([key]) => !refused(key)));
  return { ...schema, properties };
}

/**
 * Every field path the zod schema accepts (`toxics.http.match.method`, `modifications.urlRewrites[].match`), read
 * from zod's own definitions; `:any` marks a place that takes anything.
 */
function zodPaths(schema: z.core.$ZodType, path: string, out: Set<string>): Set<string> {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  const inner = (key: string) => zodPaths(def[key] as z.core.$ZodType, path, out);
  switch (def.type) {
    case 'object':
      for (const [key, field] of Object.entries(def.shape as Record<string, z.core.$ZodType>)) {
        out.add(`${path}.${key}`);
        zodPaths(field, `${path}.${key}`, out);
      }
      break;
    case 'optional': case 'nullable': case 'default': case 'readonly': case 'nonoptional': case 'catch': case 'prefault':
      inner('innerType');
      break;
    case 'pipe': inner('in'); break;
    case 'array': zodPaths(def.element as z.core.$ZodType, `${path}[]`, out); break;
    case 'union': for (const option of def.options as z.core.$ZodType[]) zodPaths(option, path, out); break;
    case 'unknown': case 'any': out.add(`${path}:any`); break;
    default: break;
  }
  return out;
}

/** The same paths read from the JSON Schema; `:any` marks a schema with no constraint at all. */
function jsonPaths(node: Record<string, unknown>, path: string, out: Set<string>): Set<string> {
  const { description: _text, ...rest } = node;
  if (Object.keys(rest).length === 0) out.add(`${path}:any`);
  for (const [key, field] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
    out.add(`${path}.${key}`);
    jsonPaths(field, `${path}.${key}`, out);
  }
  if (node.items) jsonPaths(node.items as Record<string, unknown>, `${path}[]`, out);
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) for (const option of (node[key] ?? []) as Array<Record<string, unknown>>) jsonPaths(option, path, out);
  return out;
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

import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NOT_YET_SUPPORTED_OPTIONS, startSessionSchema } from '../../src-shared/schemas.js';
import { sessionConfigJsonSchema } from './session-config-schema.js';

type Schema = { properties: Record<string, { description?: string; properties?: Record<string, unknown> }>; additionalProperties?: unknown; $schema?: string };

/** What the server accepts, independently derived: its zod schema as JSON Schema, minus what it refuses. */
function serverSchema(): Schema {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(startSessionSchema, { unrepresentable: 'any', io: 'input' }) as Schema;
  const properties = Object.fromEntries(Object.entries(schema.properties).filter(([key]) => !(NOT_YET_SUPPORTED_OPTIONS as readonly string[]).includes(key)));
  return { ...schema, properties };
}

describe('sessionConfigJsonSchema', () => {
  it('equals the JSON Schema generated from the server\'s start schema, without the options it refuses', () => {
    expect(sessionConfigJsonSchema()).toEqual(serverSchema());
  });

  it('offers exactly the keys the server accepts, each described, and nothing the server refuses', () => {
    const schema = sessionConfigJsonSchema() as Schema;
    const accepted = Object.keys(startSessionSchema.shape).filter((key) => !(NOT_YET_SUPPORTED_OPTIONS as readonly string[]).includes(key));
    expect(Object.keys(schema.properties).sort()).toEqual(accepted.sort());
    expect(schema.properties.mapLocal, 'mapLocal').toBeUndefined();
    expect(schema.properties.modifications, 'modifications').toBeDefined();
    expect(Object.keys(schema.properties.toxics?.properties ?? {})).toEqual(expect.arrayContaining(['http', 'websocket', 'sse', 'grpc', 'delayMs', 'errorRate']));
    expect(schema.additionalProperties).toBe(false);
    for (const [key, property] of Object.entries(schema.properties)) expect(property.description, key).toBeTruthy();
    expect(Object.keys(schema.properties.filters?.properties ?? {})).toContain('includeHosts');
    expect(Object.keys(schema.properties.mitm?.properties ?? {})).toEqual(['enabled', 'includeHosts', 'excludeHosts']);
  });
});

import { describe, expect, it } from 'vitest';
import { sessionConfigJsonSchema } from './session-config-schema.js';

describe('sessionConfigJsonSchema', () => {
  it('covers every start option, with shapes for the not-yet-supported ones', () => {
    const schema = sessionConfigJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown>; enum?: string[] }>; additionalProperties: boolean };
    for (const key of ['name', 'mode', 'targetUrl', 'listenPort', 'namespace', 'filters', 'toxics', 'modifications', 'mitm', 'mapLocal']) {
      expect(schema.properties[key], key).toBeDefined();
    }
    expect(schema.properties.mode?.enum).toEqual(['reverse', 'forward']);
    expect(Object.keys(schema.properties.filters?.properties ?? {})).toContain('includeHosts');
    expect(Object.keys(schema.properties.toxics?.properties ?? {})).toContain('http');
    expect(schema.additionalProperties).toBe(false);
  });
});

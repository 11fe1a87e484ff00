/**
 * Field paths of a zod schema and of a JSON Schema, each read on its own terms, so that a test can say the
 * editor's JSON Schema offers exactly what the server's zod schema accepts, at every depth.
 */
import type { z } from 'zod';

/**
 * Every field path the zod schema accepts (`toxics.http.match.method`, `modifications.urlRewrites[].match`), read
 * from zod's own definitions; `:any` marks a place that takes anything.
 */
export function zodPaths(schema: z.core.$ZodType, path: string, out: Set<string>): Set<string> {
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
export function jsonPaths(node: Record<string, unknown>, path: string, out: Set<string>): Set<string> {
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

/**
 * JSON Schema of the "full configuration" editor, generated from the server's own zod schema (descriptions
 * included, from its `.describe()`), so that the editor never offers what the server refuses. The options the
 * server does not implement yet are left out: the editor then flags them as unknown, as the server would.
 */
import { z } from 'zod';
import { NOT_YET_SUPPORTED_OPTIONS, startSessionSchema } from '../../src-shared/schemas.js';

type JsonSchema = Record<string, unknown>;

/** The schema of `POST /start` as JSON Schema, in the form a client writes it (`io: 'input'`). */
export function generatedStartSessionJsonSchema(): JsonSchema {
  // Refinements (a URL's scheme, mode-dependent requirements) have no JSON Schema form: the server checks them.
  // A type with none at all (a transform, a custom check) becomes an accept-anything hole rather than breaking the
  // editor at run time; session-config-schema.test.ts fails on any such hole.
  return z.toJSONSchema(startSessionSchema, { unrepresentable: 'any', io: 'input' });
}

export function sessionConfigJsonSchema(): JsonSchema {
  const { $schema: _dialect, ...schema } = generatedStartSessionJsonSchema();
  const properties = { ...(schema.properties as Record<string, JsonSchema>) };
  for (const option of NOT_YET_SUPPORTED_OPTIONS) delete properties[option];
  return { ...schema, properties };
}

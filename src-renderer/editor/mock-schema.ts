/**
 * JSON Schema of the mocks editor, generated from the mock store's own zod schema (src-shared/mocks.ts), so that
 * the editor flags what the server would refuse and completes what it takes. Cross-field rules (one protocol
 * block, one kind of answer, a route that compiles) have no JSON Schema form: the server checks them on save.
 */
import { z } from 'zod';
import { mockSchema } from '../../src-shared/mocks.js';

type JsonSchema = Record<string, unknown>;

export function mockJsonSchema(): JsonSchema {
  // A type with no JSON Schema form becomes a hole (never an error at run time): mock-schema.test.ts fails on one.
  const { $schema: _dialect, ...schema } = z.toJSONSchema(mockSchema, { unrepresentable: 'any', io: 'input' });
  return schema;
}

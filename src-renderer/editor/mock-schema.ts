/**
 * JSON Schema of the mocks editor, generated from the mock store's own zod schema (src-shared/mocks.ts), so that
 * the editor flags what the server would refuse and completes what it takes. Cross-field rules (one protocol
 * block, one kind of answer, a route that compiles) have no JSON Schema form: the server checks them on save.
 */
import { z } from 'zod';
import { mockSchema } from '../../src-shared/mocks.js';

type JsonSchema = Record<string, unknown>;

export function mockJsonSchema(): JsonSchema {
  const { $schema: _dialect, ...schema } = z.toJSONSchema(mockSchema, { unrepresentable: 'throw', io: 'input' });
  return schema;
}

/**
 * The engine's methods for the mock store's rows (src-shared/mocks-contract.ts); engine-operations.ts spreads them.
 * Inputs arrive parsed at the boundary; a PATCH's merged mock is checked whole here, as a new mock would be.
 */
import { ApiError } from '../../../src-shared/errors.js';
import type { MOCK_OPERATIONS } from '../../../src-shared/mocks-contract.js';
import { mockSchema, type Mock, type MockPatch } from '../../../src-shared/mocks.js';
import { parseInput } from '../../../src-shared/schemas.js';
import type { EngineCalls } from '../engine-operations.js';
import type { MockStore } from './mock-store.js';

export type MockCalls = Pick<EngineCalls, Extract<keyof EngineCalls, keyof typeof MOCK_OPERATIONS>>;

export function mockOperations(store: MockStore): MockCalls {
  const existing = (id: string): Mock => {
    const mock = store.get(id);
    if (!mock) throw new ApiError('not_found', `mock ${id} not found`, 'id');
    return mock;
  };
  return {
    saveMock: async (input) => {
      // Every field of the schema is optional (its rules span fields), so the type lets a caller leave it out.
      if (!input) throw new ApiError('bad_request', 'body: give a mock', 'body');
      return (await store.save([input]))[0]!;
    },
    saveMocks: async ({ mocks }) => {
      const saved = await store.save(mocks);
      return { items: saved.map((s) => s.mock), total: saved.length };
    },
    listMocks: async ({ tags, ...query }) => {
      const page = store.list({ ...query, tags: tags?.split(',').map((t) => t.trim()).filter((t) => t !== '') });
      return store.setAside ? { ...page, setAside: store.setAside } : page;
    },
    getMock: async ({ id }) => existing(id),
    patchMock: async ({ id, ...patch }) => {
      const merged = parseInput(mockSchema, merge(existing(id), patch), 'mock');
      const [saved] = await store.save([{ ...merged, id }]);
      return { overwritten: true, mock: saved!.mock };
    },
    deleteMock: async ({ id }) => {
      if (!(await store.delete(id))) throw new ApiError('not_found', `mock ${id} not found`, 'id');
      return { deleted: true, id };
    },
    listNamespaces: async () => ({ namespaces: store.namespaces() }),
  };
}

/** The patch's top-level fields replace the mock's; null removes one. */
function merge(mock: Mock, patch: MockPatch): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...mock };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged;
}

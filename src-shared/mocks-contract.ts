/**
 * The local mock store's operations, in Mockarty's own REST shape (`/api/v1/mocks`, ../shared/spec/mockarty-api.md),
 * so that a Mockarty client (its SDKs, curl lines written for it) works against this server as written. Spread into
 * the operation table by contract.ts.
 *
 * Answers as Mockarty gives them: `POST` → `{overwritten, mock}`, a list → `{items, total}`, `GET /:id` → the bare
 * mock, `PATCH` → `{overwritten: true, mock}`, `/namespaces` → `{namespaces}`. A batch is all or nothing: every mock
 * is checked (and the store's bounds) before any is saved.
 */
import { z } from 'zod';
import { MOCK_LIMITS, mockIdSchema, mockNamespaceSchema, mockPatchSchema, mockSchema, type Mock, type MockList } from './mocks.js';
import { row } from './operation-row.js';
import { INPUT_LIMITS, intFromQuery } from './schemas.js';

export const MOCKS_PREFIX = '/api/v1/mocks';
const MOCKARTY_PREFIX = '/api/v1';

const MiB = 1024 * 1024;

export const mockRef = z.strictObject({ id: mockIdSchema });

export const listMocksSchema = z.object({
  namespace: mockNamespaceSchema.optional(),
  /** Comma-separated: a mock must carry every one of them. */
  tags: z.string().max(MOCK_LIMITS.tags * (MOCK_LIMITS.tag + 1)).optional(),
  /** Case-insensitive, in the id, route, method, chain id and tags. */
  search: z.string().max(INPUT_LIMITS.searchText).optional(),
  offset: intFromQuery('offset', 0, Number.MAX_SAFE_INTEGER, 0),
  limit: intFromQuery('limit', 1, 1000, 100),
});

export const saveMocksSchema = z.strictObject({
  mocks: z.array(mockSchema).min(1, 'give at least one mock').max(MOCK_LIMITS.batch, `at most ${MOCK_LIMITS.batch} mocks in one batch`),
});

export const MOCK_OPERATIONS = {
  /** Create, or overwrite the mock with the same id (upsert). */
  saveMock: row<{ overwritten: boolean; mock: Mock }>()({
    kind: 'json', method: 'POST', prefix: MOCKS_PREFIX, path: '', input: mockSchema, what: 'mock', bodyLimit: MOCK_LIMITS.mockBytes + MiB,
  }),
  /** Its REST body is the JSON array of mocks itself, as Mockarty takes it. Before `/:id`. */
  saveMocks: row<{ items: Mock[]; total: number }>()({
    kind: 'json', method: 'POST', prefix: MOCKS_PREFIX, path: '/batch', input: saveMocksSchema, what: 'mocks', bodyField: 'mocks', bodyLimit: 64 * MiB,
  }),
  /** Oldest first. */
  listMocks: row<MockList>()({ kind: 'json', method: 'GET', prefix: MOCKS_PREFIX, path: '', input: listMocksSchema.strict(), what: 'query' }),
  getMock: row<Mock>()({ kind: 'json', method: 'GET', prefix: MOCKS_PREFIX, path: '/:id', input: mockRef, what: 'params' }),
  patchMock: row<{ overwritten: true; mock: Mock }>()({
    kind: 'json', method: 'PATCH', prefix: MOCKS_PREFIX, path: '/:id', input: mockPatchSchema.extend({ id: mockIdSchema }), what: 'mock patch', bodyLimit: MOCK_LIMITS.mockBytes + MiB,
  }),
  deleteMock: row<{ deleted: true; id: string }>()({ kind: 'json', method: 'DELETE', prefix: MOCKS_PREFIX, path: '/:id', input: mockRef, what: 'params' }),
  /** The namespaces that hold mocks, and "default". */
  listNamespaces: row<{ namespaces: string[] }>()({ kind: 'json', method: 'GET', prefix: MOCKARTY_PREFIX, path: '/namespaces', input: z.strictObject({}), what: 'query' }),
} as const;

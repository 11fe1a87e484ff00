/**
 * `mocks.json` in the data directory: every mock with when it was saved, in creation order, rewritten whole on
 * each change (a temporary file, synced, renamed over the old one, the directory synced). Mocks change by hand or
 * by batch, rarely; reading is done once, at open. A file that cannot be read as mocks is never emptied: it is
 * renamed aside (`mocks.json.bad-<time>`) and the store says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_MOCK_NAMESPACE, mockSchema, type Mock, type MocksSetAside } from '../../../src-shared/mocks.js';
import { errorMessage } from '../store/fs-util.js';
import { removeStaleTemps, writeFileAtomic } from '../atomic-file.js';

export const MOCKS_FILE = 'mocks.json';
const VERSION = 1;

export interface MockRecord {
  mock: Mock;
  /** Epoch ms of the last save (a ttl counts from it). */
  savedAt: number;
}

const fileSchema = z.strictObject({
  version: z.literal(VERSION),
  mocks: z.array(z.strictObject({ mock: mockSchema, savedAt: z.number().int().min(0) })),
});

export interface LoadedMocks {
  records: MockRecord[];
  setAside?: MocksSetAside;
}

/** Synchronous: the store is opened with the engine, before any session or request. */
export function readMockFile(dir: string, now: () => number): LoadedMocks {
  const file = path.join(dir, MOCKS_FILE);
  removeStaleTemps(file);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { records: [] };
    // Unreadable (permissions, a directory in its place): left where it is, and nothing is written over it.
    throw new Error(`the mocks file ${file} cannot be read (${errorMessage(error)})`, { cause: error });
  }
  const parsed = parseFile(text);
  if ('records' in parsed) return { records: parsed.records };
  const aside = `${file}.bad-${new Date(now()).toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(file, aside);
  return { records: [], setAside: { file: aside, problem: parsed.problem } };
}

function parseFile(text: string): { records: MockRecord[] } | { problem: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { problem: `not JSON: ${errorMessage(error)}` };
  }
  const result = fileSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    return { problem: `${issue.path.join('.') || 'file'}: ${issue.message}` };
  }
  const records: MockRecord[] = [];
  const seen = new Set<string>();
  for (const [i, { mock, savedAt }] of result.data.mocks.entries()) {
    if (mock.id === undefined) return { problem: `mocks.${i}.mock.id: is required in the file` };
    if (seen.has(mock.id)) return { problem: `mocks.${i}.mock.id: "${mock.id}" appears twice` };
    seen.add(mock.id);
    // A file written by hand may leave the namespace out: the default one, as for a mock sent without one.
    records.push({ mock: { ...mock, id: mock.id, namespace: mock.namespace ?? DEFAULT_MOCK_NAMESPACE }, savedAt });
  }
  return { records };
}

/** The whole list, replaced atomically (a crash leaves the old file or the new one, never half of one). */
export function writeMockFile(dir: string, records: readonly MockRecord[]): Promise<void> {
  return writeFileAtomic(path.join(dir, MOCKS_FILE), JSON.stringify({ version: VERSION, mocks: records }));
}

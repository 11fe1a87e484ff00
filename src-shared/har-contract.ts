/**
 * HAR export and import: its rows of the operation table, spread into OPERATIONS by contract.ts.
 *
 * - `exportHar` (`POST /:id/export`, the reference's route): a HAR 1.2 file of the session, or of `entryIds`
 *   (empty or absent: all), redacted unless `keepSecrets`. It streams on REST (never built in memory); IPC and the
 *   engine-process link carry it as bytes, up to a bound.
 * - `importHar` (`POST /import/har`): the REST body IS the HAR file (`bodyField`), `name` from the query. It creates
 *   a stopped session holding the file's entries. The file's content is checked by the importer
 *   (src-main/engine/export/har-import.ts): a refusal names the JSON path of the bad field in the file
 *   (`log.entries[3].request.url`), and nothing is imported.
 */
import { z } from 'zod';
import type { Session } from './model.js';
import { id, row, type BytesResult } from './operation-row.js';
import { redactionInputShape } from './redaction.js';
import { INPUT_LIMITS } from './schemas.js';

const MiB = 1024 * 1024;

/** The most entries one call may name (a session holds at most 1,000,000). */
export const MAX_ENTRY_IDS = 1_000_000;
/** The largest HAR file REST accepts. */
export const HAR_IMPORT_BODY_LIMIT = 256 * MiB;

/** Entries to export; empty or absent: every entry of the session. */
export const entryIdsSchema = z
  .array(id, { error: 'must be a list of entry ids' })
  .max(MAX_ENTRY_IDS, `at most ${MAX_ENTRY_IDS} entry ids`)
  .optional();

export const exportHarSchema = z.strictObject({ id, entryIds: entryIdsSchema, ...redactionInputShape });

export const importHarSchema = z.strictObject({
  har: z.custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), {
    error: 'must be a HAR file: a JSON object with a "log"',
  }),
  /** The new session's name (default: the file's first page title, else "Imported HAR"). */
  name: z.string({ error: 'must be a string' }).trim().min(1, 'must not be empty').max(INPUT_LIMITS.name, 'is too long').optional(),
});

export interface HarImportResult {
  /** A stopped session holding the imported entries. */
  session: Session;
  imported: number;
  /** What was changed or left out on the way in (pseudo-headers, WebSocket frames, charsets...), for people. */
  warnings: string[];
}

export const HAR_OPERATIONS = {
  // Before any `/:id` path it could be read as (`/import` is not a session id).
  importHar: row<HarImportResult>()({
    kind: 'json', method: 'POST', path: '/import/har', input: importHarSchema, what: 'HAR file', status: 201,
    bodyField: 'har', bodyLimit: HAR_IMPORT_BODY_LIMIT, mutates: true,
  }),
  /** `application/json`, `<session name>.har`. */
  exportHar: row<BytesResult, 'bytes'>()({ kind: 'bytes', method: 'POST', path: '/:id/export', input: exportHarSchema, what: 'HAR export options' }),
} as const;

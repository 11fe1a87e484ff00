/**
 * A session (or some of its entries) as a HAR 1.2 file, written as a stream of text chunks: never the whole
 * session in memory. Two passes over the store:
 * 1. the entries without bodies, page by page: which ones go out (and that every asked-for id is there), their
 *    headers learnt by the Redactor so that a secret seen late is also scrubbed from early entries;
 * 2. the chosen entries with their bodies, a bounded batch at a time (by count and by captured bytes), each batch
 *    turned into HAR text and handed on; the event loop runs between batches.
 * Entries evicted between the passes are said in `log.comment`, never silently left out.
 *
 * `openHarExport` does pass 1 and throws its refusals (unknown session: not_found; an entry id not in the session:
 * bad_request naming `entryIds.N`) before a byte is written, so REST still answers with a status.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiError } from '../../../src-shared/errors.js';
import type { RedactionOptions } from '../../../src-shared/redaction.js';
import type { Entry, Session } from '../../../src-shared/model.js';
import type { Recorder } from '../sessions/recorder.js';
import { Redactor } from './redact.js';
import { harEntryOf } from './har-entry.js';

export interface HarExportOptions {
  /** Empty or absent: every entry of the session. */
  entryIds?: readonly string[];
  redaction?: RedactionOptions;
}

export interface HarExport {
  session: Session;
  /** `<session name>.har`, safe as a file name. */
  fileName: string;
  /** Entries the file will hold (unless evicted meanwhile: then `log.comment` says so). */
  entryCount: number;
  /** The file's text, in chunks; iterate once. */
  chunks(): AsyncIterable<string>;
}

/** Entries listed per page in pass 1. */
const LIST_PAGE = 500;
/** Pass 2 reads at most this many entries, or this many captured body bytes, at a time. */
const BATCH_ENTRIES = 64;
const BATCH_BYTES = 8 * 1024 * 1024;

let creatorVersion: string | undefined;
function version(): string {
  if (creatorVersion !== undefined) return creatorVersion;
  creatorVersion = '0.0.0';
  try {
    let dir = path.dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 8; i++) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        creatorVersion = String((JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? creatorVersion);
        break;
      }
      dir = path.dirname(dir);
    }
  } catch {
    // The version is a courtesy in `creator`: a missing package.json changes nothing else.
  }
  return creatorVersion;
}

/** A file name from a session name: `My API (v2)` → `My_API_v2_.har`. */
export function harFileName(name: string): string {
  const safe = name.replace(/[^\w.-]+/g, '_').replace(/^[._]+/, '').slice(0, 120);
  return `${safe || 'recording'}.har`;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function capturedBytes(entry: Entry): number {
  return entry.request.body.capturedSize + (entry.response?.body.capturedSize ?? 0);
}

/** Pass 1: the session, the entries that go out (in order, with their captured sizes), the redactor primed. */
export async function openHarExport(recorder: Recorder, sessionId: string, options: HarExportOptions = {}): Promise<HarExport> {
  const { session } = await recorder.getSession({ id: sessionId });
  const wanted = options.entryIds && options.entryIds.length > 0 ? new Set(options.entryIds) : undefined;
  const redactor = new Redactor(options.redaction);
  const chosen: Array<{ id: string; bytes: number }> = [];
  const found = new Set<string>();
  for (let offset = 0; ; offset += LIST_PAGE) {
    const page = await recorder.listEntries({ id: sessionId, offset, limit: LIST_PAGE, bodies: false });
    for (const entry of page.entries) {
      if (wanted && !wanted.has(entry.id)) continue;
      if (found.has(entry.id)) continue;
      found.add(entry.id);
      chosen.push({ id: entry.id, bytes: capturedBytes(entry) });
      redactor.learn(entry);
    }
    if (page.entries.length < LIST_PAGE || offset + LIST_PAGE >= page.total) break;
  }
  if (wanted) {
    const ids = options.entryIds!;
    for (let i = 0; i < ids.length; i++) {
      if (!found.has(ids[i]!)) throw new ApiError('bad_request', `entryIds.${i}: entry ${ids[i]} is not in session ${sessionId}`, `entryIds.${i}`);
    }
  }
  let iterated = false;
  return {
    session,
    fileName: harFileName(session.name),
    entryCount: chosen.length,
    chunks: () => {
      if (iterated) throw new Error('a HAR export is iterated once');
      iterated = true;
      return writeHar(recorder, session, chosen, redactor);
    },
  };
}

async function* writeHar(recorder: Recorder, session: Session, chosen: Array<{ id: string; bytes: number }>, redactor: Redactor): AsyncGenerator<string> {
  const creator = { name: 'Traffic Recorder', version: version() };
  yield `{"log":{"version":"1.2","creator":${JSON.stringify(creator)},"pages":[],"entries":[`;
  let first = true;
  const gone: string[] = [];
  for (let start = 0; start < chosen.length; ) {
    let end = start;
    let bytes = 0;
    while (end < chosen.length && end - start < BATCH_ENTRIES && (end === start || bytes + chosen[end]!.bytes <= BATCH_BYTES)) bytes += chosen[end++]!.bytes;
    const batch = chosen.slice(start, end);
    start = end;
    const entries = await Promise.all(
      batch.map(async ({ id }) => {
        try {
          return (await recorder.getEntry({ id: session.id, entryId: id })).entry;
        } catch (e) {
          if (e instanceof ApiError && e.code === 'not_found') {
            gone.push(id);
            return undefined;
          }
          throw e;
        }
      }),
    );
    let text = '';
    for (const entry of entries) {
      if (!entry) continue;
      text += (first ? '' : ',') + JSON.stringify(harEntryOf(entry, redactor));
      first = false;
    }
    if (text) yield text;
    await yieldToLoop();
  }
  const comment =
    gone.length > 0 ? `,"comment":${JSON.stringify(`${gone.length} entr${gone.length === 1 ? 'y was' : 'ies were'} evicted from the session while it was exported: ${gone.slice(0, 20).join(', ')}${gone.length > 20 ? ', ...' : ''}`)}` : '';
  yield `]${comment}}}\n`;
}

/**
 * The HAR file's text as an async iterable of strings (for uploads: Mockarty's API Tester). Refusals (unknown
 * session, an entry id not in it) reject the first `next()`.
 */
export async function* harChunks(recorder: Recorder, sessionId: string, options: HarExportOptions = {}): AsyncGenerator<string> {
  const opened = await openHarExport(recorder, sessionId, options);
  yield* opened.chunks();
}

/** The whole HAR text, for small exports that must be one string (keep to sessions that fit in memory). */
export async function harText(recorder: Recorder, sessionId: string, options: HarExportOptions = {}): Promise<string> {
  let text = '';
  for await (const chunk of harChunks(recorder, sessionId, options)) text += chunk;
  return text;
}

/** Bytes of each chunk, for a BytesResult's `stream`. */
export async function* utf8Chunks(chunks: AsyncIterable<string>): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) yield Buffer.from(chunk, 'utf8');
}

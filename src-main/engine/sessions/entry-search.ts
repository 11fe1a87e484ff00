import type { Entry } from '../../../src-shared/model.js';
import type { RecorderStore } from '../store/store-types.js';

const PAGE = 200;

/** Full-text search over URL, headers and decoded bodies of a session's entries (case-insensitive). */
export function searchEntries(store: RecorderStore, sessionId: string, text: string, withBodies: (e: Entry) => Entry): string[] {
  const needle = text.toLowerCase();
  if (!needle) return [];
  const ids: string[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const { entries, total } = store.listEntries(sessionId, offset, PAGE);
    for (const entry of entries) if (matches(withBodies(entry), needle)) ids.push(entry.id);
    if (offset + PAGE >= total || entries.length === 0) break;
  }
  return ids;
}

function matches(entry: Entry, needle: string): boolean {
  const has = (value: string | undefined) => value !== undefined && value.toLowerCase().includes(needle);
  if (has(entry.request.url) || has(entry.notes) || entry.tags.some(has)) return true;
  if (entry.request.headers.some(([k, v]) => has(k) || has(v))) return true;
  if (has(entry.request.body.text)) return true;
  const response = entry.response;
  if (!response) return has(entry.error?.message);
  return response.headers.some(([k, v]) => has(k) || has(v)) || has(response.body.text);
}

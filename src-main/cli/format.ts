import Table from 'cli-table3';
import type { Entry, Session, StorageStatus } from '../../src-shared/model.js';

// Colour only for a terminal: piped output stays plain text.
const style = () => (process.stdout.isTTY ? {} : { style: { head: [], border: [] } });

/**
 * One line for people when recorded data is not reaching the disk (the store is shared, so any session tells),
 * or undefined. Meant for stderr: a table on stdout that looks normal would hide it.
 */
export function storageWarning(sessions: readonly Pick<Session, 'storage'>[]): string | undefined {
  const failing = sessions.map((s) => s.storage).find((s): s is StorageStatus => s?.state === 'failing');
  if (!failing) return undefined;
  const dropped = failing.droppedBodies > 0 ? `; ${failing.droppedBodies} bod${failing.droppedBodies === 1 ? 'y' : 'ies'} not saved` : '';
  return `warning: storage is failing since ${failing.since}: ${failing.error ?? 'unknown error'} (traffic is still forwarded and recorded${dropped})`;
}

/** Writes storageWarning's line, if any, to stderr. */
export function warnStorage(sessions: readonly Pick<Session, 'storage'>[], stderr: Pick<NodeJS.WriteStream, 'write'> = process.stderr): void {
  const line = storageWarning(sessions);
  if (line) stderr.write(`${line}\n`);
}

export function sessionsTable(sessions: Session[]): string {
  if (sessions.length === 0) return 'No sessions.';
  const table = new Table({ ...style(), head: ['ID', 'NAME', 'MODE', 'STATUS', 'PROXY', 'TARGET', 'ENTRIES', 'EXPIRES'] });
  for (const s of sessions) {
    table.push([s.id, s.name, s.mode, s.status, s.proxyUrl, s.targetUrl ?? '-', s.entryCount, s.status === 'running' ? s.expiresAt : '-']);
  }
  return table.toString();
}

export function sessionSummary(s: Session): string {
  const lines = [
    `Session ${s.id} "${s.name}" is ${s.status}.`,
    `  mode:    ${s.mode}${s.targetUrl ? ` → ${s.targetUrl}` : ''}`,
    `  proxy:   ${s.proxyUrl}`,
    `  entries: ${s.entryCount}`,
  ];
  if (s.status === 'running') {
    lines.push(s.mode === 'reverse' ? `  try:     curl ${s.proxyUrl}/` : `  try:     HTTP_PROXY=${s.proxyUrl} curl http://example.test/`);
    lines.push(`  expires: ${s.expiresAt}`);
  }
  return lines.join('\n');
}

export function entriesTable(entries: Entry[], total: number, offset: number): string {
  if (entries.length === 0) return `No entries (total ${total}).`;
  const table = new Table({ ...style(), head: ['#', 'TIME', 'METHOD', 'URL', 'STATUS', 'MS', 'BYTES', 'TAGS'], wordWrap: false });
  entries.forEach((e, i) => {
    const status = e.response ? String(e.response.statusCode) : e.error ? `ERR ${e.error.code}` : '-';
    const url = e.request.url.length > 70 ? `${e.request.url.slice(0, 67)}...` : e.request.url;
    table.push([offset + i + 1, e.startedAt.slice(11, 23), e.request.method, url, status, e.durationMs.toFixed(1), e.response?.body.size ?? 0, e.tags.join(',')]);
  });
  return `${table.toString()}\n${offset + 1}-${offset + entries.length} of ${total}`;
}

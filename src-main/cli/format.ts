import Table from 'cli-table3';
import type { Entry, Session } from '../../src-shared/model.js';

// Colour only for a terminal: piped output stays plain text.
const style = () => (process.stdout.isTTY ? {} : { style: { head: [], border: [] } });

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

import { useEffect, useState } from 'react';
import type { ReactNode } from 'react';
import type { SortColumn } from '../../stores/ui-store.js';
import { formatBytes } from '../detail/hex-dump.js';
import { ShapingBadges } from '../shaping/ShapingBadges.js';
import type { EntryRow } from './entry-row.js';

export interface ColumnSpec {
  id: SortColumn;
  header: string;
  size: number;
  align?: 'right';
  cell(row: EntryRow): ReactNode;
}

function time(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function statusClass(row: EntryRow): string {
  if (row.pending) return 'status-pending';
  if (row.error) return 'status-err';
  if (row.status === 0) return 'status-none';
  return `status-${Math.floor(row.status / 100)}xx`;
}

function statusText(row: EntryRow): string {
  if (row.pending) return 'pending';
  // A failed exchange may still carry the proxy's own answer (502): show it, in the error colour.
  if (row.error) return row.status ? String(row.status) : 'ERR';
  if (row.status === 0) return row.entryType === 'tunnel' ? 'tunnel' : '…';
  return String(row.status);
}

export function formatDuration(ms: number): string {
  if (ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** Time since a request started, ticking while it is in flight (the row itself is memoised and does not re-render). */
function Elapsed({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(timer);
  }, []);
  return <span className="elapsed" data-testid="row-elapsed">{formatDuration(Math.max(0, now - since))} …</span>;
}

export const COLUMNS: ColumnSpec[] = [
  { id: 'time', header: 'Time', size: 104, cell: (r) => time(r.startedAt) },
  { id: 'method', header: 'Method', size: 64, cell: (r) => <span className={`method method-${r.method.toLowerCase()}`}>{r.method}</span> },
  { id: 'host', header: 'Host', size: 112, cell: (r) => r.host },
  {
    id: 'path',
    header: 'Path',
    size: 208,
    // Badges first: a shaped exchange must stand out even when its path is cut off.
    cell: (r) => (r.injected || r.modifiedRules || r.mapLocal
      ? <><ShapingBadges marks={r} testPrefix="row-badge" />{r.path}</>
      : r.path),
  },
  { id: 'status', header: 'Status', size: 60, cell: (r) => <span className={`status ${statusClass(r)}`}>{statusText(r)}</span> },
  { id: 'type', header: 'Type', size: 64, cell: (r) => r.typeLabel },
  { id: 'duration', header: 'Duration', size: 80, align: 'right', cell: (r) => (r.pending ? <Elapsed since={r.startedAt} /> : formatDuration(r.durationMs)) },
  { id: 'size', header: 'Size', size: 76, align: 'right', cell: (r) => (r.size || r.status ? formatBytes(r.size) : '') },
  {
    id: 'tags',
    header: 'Tags',
    size: 130,
    cell: (r) => (
      <>
        {r.notes && <span className="note-mark" title={r.notes} data-testid="row-note-mark">✎</span>}
        {r.tags.map((t) => <span key={t} className="chip chip-small" data-testid="row-tag">{t}</span>)}
      </>
    ),
  },
];

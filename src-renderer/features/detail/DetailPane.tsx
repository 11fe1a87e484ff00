import { useState } from 'react';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { useTrafficStore } from '../../stores/traffic-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { EntryDetail } from './EntryDetail.js';
import type { DetailTab } from './EntryDetail.js';
import { useFullEntry } from './use-full-entry.js';
import { usePaneResize } from './use-pane-resize.js';

export function DetailPane() {
  const sessionId = useTrafficStore((s) => s.sessionId);
  const entryId = useUiStore((s) => s.selectedEntryId);
  const { width, startResize, resizeByKey } = usePaneResize();
  const close = () => useUiStore.getState().setDetailOpen(false);
  // The row summary (live: tags may change through the stream) shows at once while the full entry loads.
  const row = useTrafficStore((s) => (entryId ? s.byId.get(entryId) : undefined));
  // A request in flight has no entry to fetch yet: fetch once its row completes.
  const { entry, error, loading, replace } = useFullEntry(sessionId, row?.pending ? null : entryId);
  const [tab, setTab] = useState<DetailTab>('response');
  const session = useSessionsStore((s) => s.sessions.find((x) => x.id === sessionId));

  const shown = entry && row && (row.tags.join() !== entry.tags.join() || row.notes !== entry.notes)
    ? { ...entry, tags: row.tags, notes: row.notes }
    : entry;

  return (
    <section className="detail" style={{ width }} data-testid="detail-pane" aria-label="Entry detail">
      <div
        className="detail-resizer"
        onMouseDown={startResize}
        onKeyDown={resizeByKey}
        role="separator"
        aria-orientation="vertical"
        aria-label="Resize the detail pane (arrow keys)"
        aria-valuenow={width}
        tabIndex={0}
        data-testid="detail-resize"
      />
      <header className="detail-header">
        <div className="request-line" data-testid="detail-request-line">
          <span className={`method method-${(row?.method ?? entry?.request.method ?? '').toLowerCase()}`}>{row?.method ?? entry?.request.method}</span>
          <span className="url" title={row?.url}>{row?.url ?? entry?.request.url}</span>
        </div>
        <button type="button" className="icon-button" aria-label="Close detail" data-testid="detail-close" onClick={close}>×</button>
      </header>
      {!entryId && <div className="detail-empty">Select a row to see its request and response.</div>}
      {row?.pending && <div className="detail-empty" data-testid="detail-pending">This request is still in flight: its response shows here once it completes.</div>}
      {error && <div className="banner error" data-testid="detail-error">Could not load this entry: {error}</div>}
      {loading && !shown && <div className="detail-empty" data-testid="detail-loading">Loading…</div>}
      {shown && <EntryDetail entry={shown} session={session} onSaved={replace} tab={tab} setTab={setTab} />}
    </section>
  );
}

import { useEffect, useState } from 'react';
import type { KeyboardEvent as ReactKeyboardEvent, MouseEvent as ReactMouseEvent } from 'react';
import type { Entry, HeaderPair, RawHeaderValues } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
import { CopyButton } from '../../components/CopyButton.js';
import { useTrafficStore } from '../../stores/traffic-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { formatDuration } from '../entries/columns.js';
import { AnnotationEditor } from './AnnotationEditor.js';
import { BodyView } from './BodyView.js';
import { curlVariants } from './curl-command.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { explainError } from './error-words.js';
import { headerBytesNote, isUtf8Value, rawHeaderBytes } from './header-bytes.js';
import { TimingWaterfall } from './TimingWaterfall.js';

type Tab = 'response' | 'request' | 'headers' | 'timing';

/** A value with non-ASCII bytes shows its exact bytes on hover; one that is no valid UTF-8 is marked. */
function HeaderValue({ value, bytes }: { value: string; bytes: Uint8Array | undefined }) {
  if (!bytes) return <td>{value}</td>;
  return (
    <td title={headerBytesNote(value, bytes)} data-raw-bytes="true">
      {value}
      {!isUtf8Value(value, bytes) && <>{' '}<span className="badge warn" data-testid="header-not-utf8">not UTF-8</span></>}
    </td>
  );
}

function Headers({ headers, raw, testId }: { headers: HeaderPair[]; raw?: RawHeaderValues | undefined; testId: string }) {
  if (headers.length === 0) return <div className="muted small-text">none</div>;
  return (
    <table className="headers-table" data-testid={testId}>
      <tbody>
        {headers.map(([name, value], i) => (
          <tr key={`${name}-${i}`}>
            <th>{name}</th>
            <HeaderValue value={value} bytes={rawHeaderBytes(raw, i)} />
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function useFullEntry(sessionId: string | null, entryId: string | null) {
  const client = useClient();
  const [state, setState] = useState<{ entry: Entry | null; error: string | null; loading: boolean }>({ entry: null, error: null, loading: false });
  useEffect(() => {
    if (!sessionId || !entryId) {
      setState({ entry: null, error: null, loading: false });
      return;
    }
    let stale = false;
    setState((s) => ({ entry: s.entry?.id === entryId ? s.entry : null, error: null, loading: true }));
    // Arrow keys move fast through rows: only fetch the body of the row the user stops on.
    const timer = setTimeout(async () => {
      try {
        const { entry } = await client.getEntry({ id: sessionId, entryId });
        if (!stale) setState({ entry, error: null, loading: false });
      } catch (error) {
        if (!stale) setState({ entry: null, error: describeError(error), loading: false });
      }
    }, 80);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [client, sessionId, entryId]);
  const replace = (entry: Entry) => setState({ entry, error: null, loading: false });
  return { ...state, replace };
}

export function DetailPane() {
  const sessionId = useTrafficStore((s) => s.sessionId);
  const entryId = useUiStore((s) => s.selectedEntryId);
  const width = useUiStore((s) => s.detailWidth);
  const setWidth = useUiStore((s) => s.setDetailWidth);
  const close = () => useUiStore.getState().setDetailOpen(false);
  // The row summary (live: tags may change through the stream) shows at once while the full entry loads.
  const row = useTrafficStore((s) => (entryId ? s.byId.get(entryId) : undefined));
  // A request in flight has no entry to fetch yet: fetch once its row completes.
  const { entry, error, loading, replace } = useFullEntry(sessionId, row?.pending ? null : entryId);
  const [tab, setTab] = useState<Tab>('response');
  const session = useSessionsStore((s) => s.sessions.find((x) => x.id === sessionId));

  const startResize = (e: ReactMouseEvent) => {
    e.preventDefault();
    const startX = e.clientX;
    const startWidth = width;
    const move = (ev: MouseEvent) => setWidth(startWidth + (startX - ev.clientX));
    const up = () => {
      window.removeEventListener('mousemove', move);
      window.removeEventListener('mouseup', up);
    };
    window.addEventListener('mousemove', move);
    window.addEventListener('mouseup', up);
  };

  const resizeByKey = (e: ReactKeyboardEvent) => {
    const step = e.shiftKey ? 120 : 30;
    // The pane sits on the right: moving its edge left makes it wider.
    if (e.key === 'ArrowLeft') setWidth(width + step);
    else if (e.key === 'ArrowRight') setWidth(width - step);
    else return;
    e.preventDefault();
  };

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
      {shown && (
        <div className="detail-body" data-testid="detail-loaded" data-entry-id={shown.id}>
          <div className="status-line" data-testid="detail-status-line">
            {shown.response ? (
              <span className={`status status-${Math.floor(shown.response.statusCode / 100)}xx`}>
                HTTP/{shown.response.httpVersion} {shown.response.statusCode} {shown.response.statusMessage}
              </span>
            ) : shown.tunnel ? (
              <span className="muted">CONNECT tunnel to {shown.tunnel.host}:{shown.tunnel.port}, {shown.tunnel.bytesUp} B up / {shown.tunnel.bytesDown} B down</span>
            ) : (
              <span className="muted">No response</span>
            )}
            {shown.upstreamCertErrorsIgnored && (
              <span
                className="badge warn"
                data-testid="detail-upstream-cert-ignored"
                title="The upstream's TLS certificate did not verify and was accepted anyway (the session accepts self-signed upstream certificates)."
              >
                ⚠ upstream certificate not verified
              </span>
            )}
            <span className="muted">{formatDuration(shown.durationMs)} · {new Date(shown.startedAt).toLocaleString()}</span>
            {curlVariants(shown, session).map((v) => (
              <CopyButton key={v.route} text={v.command} label={`Copy as cURL ${v.label}`} testId={`copy-curl-${v.route}`} />
            ))}
          </div>
          {shown.error && (
            <div className="banner error" data-testid="detail-exchange-error">
              <strong>{explainError(shown.error)}</strong>
              <div className="small-text">{shown.error.code}: {shown.error.message}</div>
            </div>
          )}
          {shown.mapLocal && <div className="banner info">Answered locally by a Mockarty mock (Map Local).</div>}
          <AnnotationEditor entry={shown} onSaved={replace} />
          <div className="tabs" role="tablist">
            {(['response', 'request', 'headers', 'timing'] as const).map((t) => (
              <button key={t} type="button" role="tab" aria-selected={tab === t} data-testid={`detail-tab-${t}`} onClick={() => setTab(t)}>
                {t === 'response' ? 'Response body' : t === 'request' ? 'Request body' : t === 'headers' ? 'Headers' : 'Timing'}
              </button>
            ))}
          </div>
          <div className="tab-panel">
            {tab === 'response' && (shown.response
              ? <BodyView sessionId={shown.sessionId} entryId={shown.id} which="response" body={shown.response.body} />
              : <div className="body-empty">No response.</div>)}
            {tab === 'request' && <BodyView sessionId={shown.sessionId} entryId={shown.id} which="request" body={shown.request.body} />}
            {tab === 'headers' && (
              <div className="headers-panel">
                <h3>Request</h3>
                <div className="mono small-text">{shown.request.method} {shown.request.url} HTTP/{shown.request.httpVersion}</div>
                <Headers headers={shown.request.headers} raw={shown.request.rawHeaderValues} testId="request-headers" />
                <h3>Response</h3>
                {shown.response ? <Headers headers={shown.response.headers} raw={shown.response.rawHeaderValues} testId="response-headers" /> : <div className="muted">No response.</div>}
              </div>
            )}
            {tab === 'timing' && <TimingWaterfall timings={shown.timings} />}
          </div>
        </div>
      )}
    </section>
  );
}

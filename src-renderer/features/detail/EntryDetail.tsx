import type { Entry, Session } from '../../../src-shared/model.js';
import { CopyButton } from '../../components/CopyButton.js';
import { formatDuration } from '../entries/columns.js';
import { MockThisButton } from '../mocks/MockThisButton.js';
import { ShapingBadges } from '../shaping/ShapingBadges.js';
import { ShapingDetail } from '../shaping/ShapingDetail.js';
import { AnnotationEditor } from './AnnotationEditor.js';
import { BodyView } from './BodyView.js';
import { curlVariants } from './curl-command.js';
import { explainError } from './error-words.js';
import { HeadersTable } from './HeadersTable.js';
import { TimingWaterfall } from './TimingWaterfall.js';

export type DetailTab = 'response' | 'request' | 'headers' | 'timing';
const TAB_LABELS: Record<DetailTab, string> = { response: 'Response body', request: 'Request body', headers: 'Headers', timing: 'Timing' };

interface EntryDetailProps {
  entry: Entry;
  session: Session | undefined;
  onSaved: (entry: Entry) => void;
  /** Owned by the pane: the chosen tab stays while the selection moves from row to row. */
  tab: DetailTab;
  setTab: (tab: DetailTab) => void;
}

/** A loaded entry: its status line, what went wrong, its annotations, and its bodies, headers and timing in tabs. */
export function EntryDetail({ entry, session, onSaved, tab, setTab }: EntryDetailProps) {
  return (
    <div className="detail-body" data-testid="detail-loaded" data-entry-id={entry.id}>
      <StatusLine entry={entry} session={session} />
      {entry.error && (
        <div className="banner error" data-testid="detail-exchange-error">
          <strong>{explainError(entry.error)}</strong>
          <div className="small-text">{entry.error.code}: {entry.error.message}</div>
        </div>
      )}
      {entry.mapLocal && (
        <div className="banner info" data-testid="detail-mapped">
          Answered locally by a mock (Map Local){entry.mapLocalMockId ? <>: <code data-testid="detail-mock-id">{entry.mapLocalMockId}</code></> : ''}; the upstream was not contacted.
        </div>
      )}
      <ShapingDetail entry={entry} />
      <AnnotationEditor entry={entry} onSaved={onSaved} />
      <DetailTabs entry={entry} tab={tab} setTab={setTab} />
    </div>
  );
}

function StatusLine({ entry, session }: { entry: Entry; session: Session | undefined }) {
  return (
    <div className="status-line" data-testid="detail-status-line">
      {entry.response ? (
        <span className={`status status-${Math.floor(entry.response.statusCode / 100)}xx`}>
          HTTP/{entry.response.httpVersion} {entry.response.statusCode} {entry.response.statusMessage}
        </span>
      ) : entry.tunnel ? (
        <span className="muted">CONNECT tunnel to {entry.tunnel.host}:{entry.tunnel.port}, {entry.tunnel.bytesUp} B up / {entry.tunnel.bytesDown} B down</span>
      ) : (
        <span className="muted">No response</span>
      )}
      {entry.upstreamCertErrorsIgnored && (
        <span
          className="badge warn"
          data-testid="detail-upstream-cert-ignored"
          title="The upstream's TLS certificate did not verify and was accepted anyway (the session accepts self-signed upstream certificates)."
        >
          ⚠ upstream certificate not verified
        </span>
      )}
      <ShapingBadges marks={{ injected: entry.injected, modifiedRules: entry.modified?.rules, mapLocal: entry.mapLocal, mockId: entry.mapLocalMockId }} testPrefix="detail-badge" />
      <span className="muted">{formatDuration(entry.durationMs)} · {new Date(entry.startedAt).toLocaleString()}</span>
      <MockThisButton entry={entry} session={session} />
      {curlVariants(entry, session).map((v) => (
        <CopyButton key={v.route} text={v.command} label={`Copy as cURL ${v.label}`} testId={`copy-curl-${v.route}`} />
      ))}
    </div>
  );
}

function DetailTabs({ entry, tab, setTab }: Pick<EntryDetailProps, 'entry' | 'tab' | 'setTab'>) {
  return (
    <>
      <div className="tabs" role="tablist">
        {(['response', 'request', 'headers', 'timing'] as const).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} data-testid={`detail-tab-${t}`} onClick={() => setTab(t)}>
            {TAB_LABELS[t]}
          </button>
        ))}
      </div>
      <div className="tab-panel">
        {tab === 'response' && (entry.response
          ? <BodyView sessionId={entry.sessionId} entryId={entry.id} which="response" body={entry.response.body} />
          : <div className="body-empty">No response.</div>)}
        {tab === 'request' && <BodyView sessionId={entry.sessionId} entryId={entry.id} which="request" body={entry.request.body} />}
        {tab === 'headers' && (
          <div className="headers-panel">
            <h3>Request</h3>
            <div className="mono small-text">{entry.request.method} {entry.request.url} HTTP/{entry.request.httpVersion}</div>
            <HeadersTable headers={entry.request.headers} raw={entry.request.rawHeaderValues} testId="request-headers" />
            <h3>Response</h3>
            {entry.response ? <HeadersTable headers={entry.response.headers} raw={entry.response.rawHeaderValues} testId="response-headers" /> : <div className="muted">No response.</div>}
          </div>
        )}
        {tab === 'timing' && <TimingWaterfall timings={entry.timings} />}
      </div>
    </>
  );
}

import { useEffect, useState } from 'react';
import type { Session } from '../src-shared/model.js';
import { StorageBanner } from './components/StorageBanner.js';
import { DetailPane } from './features/detail/DetailPane.js';
import { EntriesTable } from './features/entries/EntriesTable.js';
import { useTrafficStream } from './features/entries/use-traffic-stream.js';
import { useVisibleRows } from './features/entries/use-visible-rows.js';
import { FilterBar } from './features/filter/FilterBar.js';
import { useBodySearch } from './features/filter/use-body-search.js';
import { ConnectPanel } from './features/sessions/ConnectPanel.js';
import { NewSessionDialog } from './features/sessions/NewSessionDialog.js';
import { SessionsSidebar } from './features/sessions/SessionsSidebar.js';
import { SettingsDialog } from './features/settings/SettingsDialog.js';
import { LiveRulesButton, LiveRulesDialog } from './features/shaping/LiveRulesDialog.js';
import { MocksDialog } from './features/mocks/MocksDialog.js';
import { useMocksViewStore } from './stores/mocks-view-store.js';
import { EvictionNotice } from './features/storage/EvictionNotice.js';
import { useStoragePoll } from './features/storage/use-storage-poll.js';
import { useSessionsPoll } from './features/sessions/use-sessions-poll.js';
import { useSessionsStore } from './stores/sessions-store.js';
import { useTrafficStore } from './stores/traffic-store.js';
import { useUiStore } from './stores/ui-store.js';

/** Its own component: the body search re-runs as rows stream in, and that must not re-render the page. */
function BodySearch({ sessionId }: { sessionId: string | null }) {
  useBodySearch(sessionId);
  return null;
}

function StreamIndicator({ running }: { running: boolean }) {
  const status = useTrafficStore((s) => s.streamStatus);
  const detail = useTrafficStore((s) => s.streamDetail);
  const loading = useTrafficStore((s) => s.loading);
  // The stream stays open on a stopped session (annotations still arrive), but nothing is recorded: not "live".
  if (!running && !loading) return <span className="stream-state stopped" data-testid="stream-state" data-state="stopped" title="This session is stopped: nothing is being recorded">stopped</span>;
  const label = loading ? 'loading history…' : status === 'open' ? 'live' : status === 'connecting' ? 'connecting…' : status === 'closed' ? 'disconnected' : '';
  return label ? <span className={`stream-state ${status}`} data-testid="stream-state" data-state={status} title={detail}>{label}</span> : null;
}

function TopBar({ session }: { session: Session | undefined }) {
  const [rulesOpen, setRulesOpen] = useState(false);
  return (
    <header className="topbar">
      <div className="brand"><span className="logo-dot" />Traffic Recorder</div>
      {session && (
        <div className="topbar-session" data-testid="current-session">
          <strong>{session.name}</strong>
          <span className="muted">{session.mode === 'reverse' ? `${session.proxyUrl} → ${session.targetUrl ?? ''}` : `proxy ${session.proxyUrl}`}</span>
          <StreamIndicator running={session.status === 'running'} />
          <LiveRulesButton session={session} open={() => setRulesOpen(true)} />
          {rulesOpen && session.status === 'running' && <LiveRulesDialog key={session.id} session={session} close={() => setRulesOpen(false)} />}
        </div>
      )}
      <button type="button" className="small mocks-open" data-testid="mocks-open" title="Local mocks (map local)" onClick={() => useMocksViewStore.getState().show()}>
        Mocks
      </button>
      <button
        type="button"
        className="icon-button settings-open"
        aria-label="Settings: HTTPS CA and system proxy"
        title="Settings: HTTPS CA and system proxy"
        data-testid="settings-open"
        onClick={() => useUiStore.getState().setSettingsOpen(true)}
      >
        ⚙
      </button>
    </header>
  );
}

/** The open session: how to connect, the filter, the table and the detail pane. */
function SessionTraffic({ session, visible }: { session: Session; visible: string[] }) {
  const total = useTrafficStore((s) => s.ids.length);
  const loadError = useTrafficStore((s) => s.loadError);
  const detailOpen = useUiStore((s) => s.detailOpen);
  return (
    <>
      <ConnectPanel session={session} />
      <FilterBar shown={visible.length} total={total} />
      {loadError && <div className="banner error">Could not load the recorded entries: {loadError}</div>}
      <div className="traffic-body">
        <div className="table-wrap">
          <EntriesTable visible={visible} />
          <EvictionNotice sessionId={session.id} />
          {total === 0 && <div className="table-empty" data-testid="entries-empty">Waiting for traffic. Send a request through {session.proxyUrl}.</div>}
          {total > 0 && visible.length === 0 && <div className="table-empty" data-testid="entries-none-match">No entry matches the filter.</div>}
        </div>
        {detailOpen && <DetailPane />}
      </div>
    </>
  );
}

function NoSession() {
  return (
    <div className="no-session" data-testid="no-session">
      <h2>Record HTTP traffic</h2>
      <p>Start a session: a reverse proxy in front of one service, or a forward proxy for HTTP_PROXY/HTTPS_PROXY.</p>
      <button type="button" className="primary" onClick={() => useUiStore.getState().setNewSessionOpen(true)}>New session</button>
    </div>
  );
}

export function MainView() {
  useSessionsPoll();
  useStoragePoll();
  const selectedId = useSessionsStore((s) => s.selectedId);
  const session = useSessionsStore((s) => s.sessions.find((x) => x.id === s.selectedId));
  const newSessionOpen = useUiStore((s) => s.newSessionOpen);
  const settingsOpen = useUiStore((s) => s.settingsOpen);
  const mocksOpen = useMocksViewStore((s) => s.open);
  useTrafficStream(selectedId);
  const visible = useVisibleRows();

  useEffect(() => {
    // A selection from another session means nothing here.
    useUiStore.getState().selectEntry(null, false);
  }, [selectedId]);

  return (
    <div className="app" data-testid="main-view">
      <BodySearch sessionId={selectedId} />
      <StorageBanner />
      <TopBar session={session} />
      <div className="workspace">
        <SessionsSidebar />
        <main className="traffic">
          {session ? <SessionTraffic session={session} visible={visible} /> : <NoSession />}
        </main>
      </div>
      {newSessionOpen && <NewSessionDialog />}
      {settingsOpen && <SettingsDialog />}
      {mocksOpen && <MocksDialog />}
    </div>
  );
}

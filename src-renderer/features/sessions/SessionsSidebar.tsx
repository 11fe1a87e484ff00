import { memo, useState } from 'react';
import type { Session } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { useUiStore } from '../../stores/ui-store.js';

function useSessionAction() {
  const client = useClient();
  const [busyId, setBusyId] = useState<string | null>(null);
  const run = async (session: Session, action: 'stop' | 'restart' | 'delete') => {
    setBusyId(session.id);
    try {
      if (action === 'delete') {
        await client.deleteSession({ id: session.id });
        useSessionsStore.getState().remove(session.id);
        useUiStore.getState().toast('info', `Deleted "${session.name}"`);
      } else {
        const { session: next } = action === 'stop' ? await client.stopSession({ id: session.id }) : await client.restartSession({ id: session.id });
        useSessionsStore.getState().upsert(next);
      }
    } catch (error) {
      useUiStore.getState().toast('error', `Could not ${action} "${session.name}": ${describeError(error)}`);
    } finally {
      setBusyId(null);
    }
  };
  return { busyId, run };
}

function SessionItem({ session, selected, busy, onAction }: {
  session: Session;
  selected: boolean;
  busy: boolean;
  onAction(action: 'stop' | 'restart' | 'delete'): void;
}) {
  const select = useSessionsStore((s) => s.select);
  const running = session.status === 'running';
  const where = session.mode === 'reverse' ? (session.targetUrl ?? '') : `proxy ${session.proxyUrl}`;
  return (
    <li
      className={`session-item${selected ? ' selected' : ''}`}
      data-testid="session-item"
      data-session-id={session.id}
      data-status={session.status}
      aria-current={selected}
      onClick={() => select(session.id)}
    >
      <div className="session-line">
        <span className={`status-dot ${session.status}`} aria-hidden="true" />
        <span className="session-name" data-testid="session-name" title={session.name}>{session.name}</span>
        <span className="session-count" data-testid="session-entry-count" title="entries">{session.entryCount.toLocaleString()}</span>
      </div>
      <div className="session-meta">
        <span className={`badge ${session.status}`} data-testid="session-status">{session.status}</span>
        <span className="badge mode">{session.mode}</span>
        <span className="session-port" data-testid="session-port">:{session.listenPort}</span>
      </div>
      <div className="session-target" title={where}>{where}</div>
      <div className="session-actions" onClick={(e) => e.stopPropagation()}>
        {running ? (
          <button type="button" className="small" data-testid="session-stop" disabled={busy} onClick={() => onAction('stop')}>Stop</button>
        ) : (
          <button type="button" className="small" data-testid="session-start" disabled={busy} onClick={() => onAction('restart')}>Start</button>
        )}
        {running && (
          <button type="button" className="small" data-testid="session-restart" disabled={busy} onClick={() => onAction('restart')}>Restart</button>
        )}
        <button type="button" className="small danger-text" data-testid="session-delete" disabled={busy} onClick={() => onAction('delete')}>Delete</button>
      </div>
    </li>
  );
}

export const SessionsSidebar = memo(function SessionsSidebar() {
  const sessions = useSessionsStore((s) => s.sessions);
  const selectedId = useSessionsStore((s) => s.selectedId);
  const error = useSessionsStore((s) => s.error);
  const openNew = useUiStore((s) => s.setNewSessionOpen);
  const { busyId, run } = useSessionAction();
  const [confirmDelete, setConfirmDelete] = useState<Session | null>(null);

  return (
    <aside className="sidebar" data-testid="sessions-sidebar">
      <div className="sidebar-header">
        <h2>Sessions</h2>
        <button type="button" className="primary small" data-testid="new-session-button" onClick={() => openNew(true)}>+ New</button>
      </div>
      {error && <div className="form-error small-text">{error}</div>}
      {sessions.length === 0 ? (
        <div className="sidebar-empty" data-testid="sessions-empty">No sessions yet. Start one to record traffic.</div>
      ) : (
        <ul className="session-list" data-testid="session-list">
          {sessions.map((s) => (
            <SessionItem
              key={s.id}
              session={s}
              selected={s.id === selectedId}
              busy={busyId === s.id}
              onAction={(action) => (action === 'delete' ? setConfirmDelete(s) : void run(s, action))}
            />
          ))}
        </ul>
      )}
      {confirmDelete && (
        <ConfirmDialog
          title="Delete session?"
          message={`"${confirmDelete.name}" and its ${confirmDelete.entryCount.toLocaleString()} recorded entries will be deleted for good.`}
          confirmLabel="Delete"
          danger
          onCancel={() => setConfirmDelete(null)}
          onConfirm={() => {
            const s = confirmDelete;
            setConfirmDelete(null);
            void run(s, 'delete');
          }}
        />
      )}
    </aside>
  );
});

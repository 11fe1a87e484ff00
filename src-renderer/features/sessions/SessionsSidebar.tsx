import { memo, useState } from 'react';
import type { KeyboardEvent as ReactKeyboardEvent } from 'react';
import type { Session } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { describeError, RecorderClientError } from '../../api/recorder-client.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { portConflictMessage, portHolderWords, restartedMessage, type PortConflict } from './port-conflict.js';

type SessionAction = 'stop' | 'start' | 'delete';

/** A stopped session restarts on its old port, or, when that is taken, only once the user agreed to move it. */
function useSessionAction() {
  const client = useClient();
  const [busyId, setBusyId] = useState<string | null>(null);
  const [conflict, setConflict] = useState<PortConflict | null>(null);

  const restart = async (session: Session, keepPort: boolean) => {
    try {
      const { session: next } = await client.restartSession({ id: session.id, keepPort });
      useSessionsStore.getState().upsert(next);
      useUiStore.getState().toast('info', restartedMessage(session, next));
    } catch (error) {
      // Taken between the check and the start: ask, as if the check had seen it.
      if (keepPort && error instanceof RecorderClientError && error.code === 'conflict' && error.field === 'listenPort') {
        setConflict({ session, holder: error.message.replace(/^listenPort: port \d+ is taken by /, '') });
      } else {
        throw error;
      }
    }
  };

  const start = async (session: Session) => {
    const check = await client.portCheck({ port: session.listenPort }).catch(() => null);
    if (check && !check.available) {
      setConflict({ session, holder: portHolderWords(session.listenPort, useSessionsStore.getState().sessions, check, session.id) });
      return;
    }
    await restart(session, true);
  };

  const run = async (session: Session, action: SessionAction | 'move') => {
    setBusyId(session.id);
    try {
      if (action === 'delete') {
        await client.deleteSession({ id: session.id });
        useSessionsStore.getState().remove(session.id);
        useUiStore.getState().toast('info', `Deleted "${session.name}"`);
      } else if (action === 'stop') {
        useSessionsStore.getState().upsert((await client.stopSession({ id: session.id })).session);
      } else if (action === 'start') {
        await start(session);
      } else {
        await restart(session, false);
      }
    } catch (error) {
      const verb = action === 'move' ? 'start' : action;
      useUiStore.getState().toast('error', `Could not ${verb} "${session.name}": ${describeError(error)}`);
    } finally {
      setBusyId(null);
    }
  };
  return { busyId, run, conflict, dismissConflict: () => setConflict(null) };
}

/** Keyboard for a session item: Enter or Space opens it, the arrows move between items (not from its buttons). */
function sessionItemKey(e: ReactKeyboardEvent<HTMLLIElement>, select: () => void): void {
  if (e.target !== e.currentTarget) return;
  const sibling = e.key === 'ArrowDown' ? e.currentTarget.nextElementSibling : e.key === 'ArrowUp' ? e.currentTarget.previousElementSibling : undefined;
  if (e.key === 'Enter' || e.key === ' ') select();
  else if (sibling instanceof HTMLElement) sibling.focus();
  else if (sibling === undefined) return;
  e.preventDefault();
}

function SessionItem({ session, selected, busy, onAction }: {
  session: Session;
  selected: boolean;
  busy: boolean;
  onAction(action: SessionAction): void;
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
      tabIndex={0}
      aria-label={`Session ${session.name}, ${session.status}`}
      onClick={() => select(session.id)}
      onKeyDown={(e) => sessionItemKey(e, () => select(session.id))}
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
        {/* Only what can work: a running session stops, a stopped one starts (on its old port when it can). */}
        {running ? (
          <button type="button" className="small" data-testid="session-stop" disabled={busy} onClick={() => onAction('stop')}>Stop</button>
        ) : (
          <button type="button" className="small" data-testid="session-start" disabled={busy} onClick={() => onAction('start')} title={`Start again on port ${session.listenPort}`}>Start</button>
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
  const { busyId, run, conflict, dismissConflict } = useSessionAction();
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
      {conflict && (
        <ConfirmDialog
          title={`Port ${conflict.session.listenPort} is taken`}
          message={portConflictMessage(conflict)}
          confirmLabel="Start on another port"
          onCancel={dismissConflict}
          onConfirm={() => {
            const { session } = conflict;
            dismissConflict();
            void run(session, 'move');
          }}
        />
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

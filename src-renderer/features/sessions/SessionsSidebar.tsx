import { memo, useState } from 'react';
import type { Session } from '../../../src-shared/model.js';
import { ConfirmDialog } from '../../components/ConfirmDialog.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { portConflictMessage } from './port-conflict.js';
import { SessionItem } from './SessionItem.js';
import { useSessionAction } from './use-session-action.js';

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

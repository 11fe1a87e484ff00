import type { KeyboardEvent as ReactKeyboardEvent } from 'react';
import type { Session } from '../../../src-shared/model.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import type { SessionAction } from './use-session-action.js';

/** Keyboard for a session item: Enter or Space opens it, the arrows move between items (not from its buttons). */
function sessionItemKey(e: ReactKeyboardEvent<HTMLLIElement>, select: () => void): void {
  if (e.target !== e.currentTarget) return;
  const sibling = e.key === 'ArrowDown' ? e.currentTarget.nextElementSibling : e.key === 'ArrowUp' ? e.currentTarget.previousElementSibling : undefined;
  if (e.key === 'Enter' || e.key === ' ') select();
  else if (sibling instanceof HTMLElement) sibling.focus();
  else if (sibling === undefined) return;
  e.preventDefault();
}

export function SessionItem({ session, selected, busy, onAction }: {
  session: Session;
  selected: boolean;
  busy: boolean;
  onAction: (action: SessionAction) => void;
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

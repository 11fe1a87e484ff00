import { useRef } from 'react';
import { useDialog } from '../../components/use-dialog.js';
import { useUiStore } from '../../stores/ui-store.js';
import { BasicsTab } from './BasicsTab.js';
import { JsonConfigTab } from './JsonConfigTab.js';
import type { FormError } from './use-new-session.js';
import { useNewSession } from './use-new-session.js';
import './sessions-polish.css';

export function NewSessionDialog() {
  const close = () => useUiStore.getState().setNewSessionOpen(false);
  const dialog = useRef<HTMLFormElement>(null);
  // Focus moves in, Tab stays inside, Esc closes, focus returns: as every other dialog.
  useDialog(dialog, close);
  const state = useNewSession(close);
  const { tab, switchTab } = state;

  return (
    <div className="modal-backdrop" onMouseDown={close}>
      <form
        className="modal"
        role="dialog"
        aria-modal="true"
        aria-label="New session"
        data-testid="new-session-dialog"
        ref={dialog}
        onMouseDown={(e) => e.stopPropagation()}
        onSubmit={(e) => {
          e.preventDefault();
          void state.submit();
        }}
      >
        <h2>New recording session</h2>
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={tab === 'form'} data-testid="new-session-tab-form" onClick={() => switchTab('form')}>Basics</button>
          <button type="button" role="tab" aria-selected={tab === 'json'} data-testid="new-session-tab-json" onClick={() => switchTab('json')}>Full configuration (JSON)</button>
        </div>
        {tab === 'form'
          ? <BasicsTab state={state} />
          : <JsonConfigTab json={state.json} setJson={state.setJson} problems={state.jsonProblems} setProblems={state.setJsonProblems} />}
        {state.error && <ErrorBox error={state.error} />}
        <div className="modal-actions">
          <button type="button" data-testid="new-session-cancel" onClick={close}>Cancel</button>
          <button type="submit" className="primary" data-testid="new-session-submit" disabled={state.submitting}>
            {state.submitting ? 'Starting…' : 'Start recording'}
          </button>
        </div>
      </form>
    </div>
  );
}

function ErrorBox({ error }: { error: FormError }) {
  return (
    <div className="form-error" role="alert" data-testid="new-session-error">
      {!error.local && <strong>The server refused this session. </strong>}
      {error.message}
    </div>
  );
}

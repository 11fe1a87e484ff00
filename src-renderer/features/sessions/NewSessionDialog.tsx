import { useRef } from 'react';
import { useDialog } from '../../components/use-dialog.js';
import { useUiStore } from '../../stores/ui-store.js';
import { FiltersFields } from '../shaping/FiltersFields.js';
import { ModificationsFields } from '../shaping/ModificationsFields.js';
import { ToxicsFields } from '../shaping/ToxicsFields.js';
import '../shaping/shaping.css';
import { BasicsTab } from './BasicsTab.js';
import { JsonConfigTab } from './JsonConfigTab.js';
import { SavedConfigsBar } from './SavedConfigsBar.js';
import type { FormError, FormTab, NewSessionState } from './use-new-session.js';
import { tabOfPath, useNewSession } from './use-new-session.js';
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
        <SavedConfigsBar state={state} />
        <div className="tabs" role="tablist">
          {TABS.map(([id, label]) => {
            const flagged = id !== 'json' && Object.keys(state.problems).some((path) => tabOfPath(path) === id);
            return (
              <button key={id} type="button" role="tab" aria-selected={tab === id} data-testid={`new-session-tab-${id}`} data-invalid={flagged} onClick={() => switchTab(id)}>
                {label}{flagged && <span className="tab-flag" title="Something here needs fixing"> •</span>}
              </button>
            );
          })}
        </div>
        <TabPanel state={state} />
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

const TABS: Array<[FormTab, string]> = [
  ['form', 'Basics'], ['scope', 'Scope'], ['toxics', 'Toxics'], ['rules', 'Modifications'], ['json', 'Full configuration (JSON)'],
];

function TabPanel({ state }: { state: NewSessionState }) {
  const { form, update, problems } = state;
  switch (state.tab) {
    case 'form': return <BasicsTab state={state} />;
    case 'scope': return <FiltersFields value={form.filters} onChange={(filters) => update({ filters })} problems={problems} />;
    case 'toxics': return <ToxicsFields value={form.toxics} onChange={(toxics) => update({ toxics })} problems={problems} />;
    case 'rules': return <ModificationsFields value={form.modifications} onChange={(modifications) => update({ modifications })} problems={problems} />;
    case 'json': return <JsonConfigTab json={state.json} setJson={state.setJson} problems={state.jsonProblems} setProblems={state.setJsonProblems} />;
    default: {
      const unknown: never = state.tab;
      return unknown;
    }
  }
}

function ErrorBox({ error }: { error: FormError }) {
  return (
    <div className="form-error" role="alert" data-testid="new-session-error">
      {!error.local && <strong>The server refused this session. </strong>}
      {error.message}
    </div>
  );
}

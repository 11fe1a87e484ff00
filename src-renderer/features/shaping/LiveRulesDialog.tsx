import { useRef } from 'react';
import type { Session } from '../../../src-shared/model.js';
import { useDialog } from '../../components/use-dialog.js';
import { ModificationsFields } from './ModificationsFields.js';
import { ToxicsFields } from './ToxicsFields.js';
import { useLiveRules, type LiveTab } from './use-live-rules.js';
import './shaping.css';

const TABS: Array<[LiveTab, string]> = [['toxics', 'Toxics'], ['rules', 'Modifications']];

/** A running session's toxics and modification rules, edited live (saved with PUT, no restart). */
export function LiveRulesDialog({ session, close }: { session: Session; close: () => void }) {
  const dialog = useRef<HTMLFormElement>(null);
  useDialog(dialog, close);
  const state = useLiveRules(session.id, session.name, close);
  const { tab, problems } = state;
  return (
    <div className="modal-backdrop" onMouseDown={close}>
      <form className="modal live-rules" role="dialog" aria-modal="true" aria-label={`Rules of ${session.name}`} data-testid="live-rules-dialog"
        ref={dialog} onMouseDown={(e) => e.stopPropagation()} onSubmit={(e) => { e.preventDefault(); void state.save(); }}>
        <h2>Rules of “{session.name}”, live</h2>
        <p>Saved rules apply from the next request, on open connections too; nothing restarts.</p>
        <div className="tabs" role="tablist">
          {TABS.map(([id, label]) => {
            const flagged = Object.keys(problems).some((p) => p.startsWith(id === 'rules' ? 'modifications' : 'toxics'));
            return (
              <button key={id} type="button" role="tab" aria-selected={tab === id} data-testid={`live-rules-tab-${id}`} data-invalid={flagged} onClick={() => state.setTab(id)}>
                {label}{flagged && <span className="tab-flag" title="Something here needs fixing"> •</span>}
              </button>
            );
          })}
        </div>
        <div className="tab-panel">
          {state.loadError && <div className="form-error" role="alert">Could not load the rules: {state.loadError}</div>}
          {!state.loaded && !state.loadError && <div className="muted" data-testid="live-rules-loading">Loading…</div>}
          {state.loaded && tab === 'toxics' && <ToxicsFields value={state.toxics} onChange={(toxics) => state.edit({ toxics })} problems={problems} />}
          {state.loaded && tab === 'rules' && <ModificationsFields value={state.modifications} onChange={(modifications) => state.edit({ modifications })} problems={problems} />}
        </div>
        {state.refusal && (
          <div className="form-error" role="alert" data-testid="live-rules-error">
            {state.refusal.server && <strong>The server refused these rules. </strong>}{state.refusal.message}
          </div>
        )}
        <div className="modal-actions">
          <button type="button" data-testid="live-rules-cancel" onClick={close}>Cancel</button>
          <button type="submit" className="primary" data-testid="live-rules-save" disabled={!state.loaded || state.saving}>{state.saving ? 'Saving…' : 'Save live'}</button>
        </div>
      </form>
    </div>
  );
}

/** The session header's button: running sessions only (a stopped one has no live pipeline to change). */
export function LiveRulesButton({ session, open }: { session: Session; open: () => void }) {
  if (session.status !== 'running') return null;
  return (
    <button type="button" className="small" data-testid="session-rules-open" title="Edit this session's toxics and modification rules live" onClick={open}>
      Rules…
    </button>
  );
}

import type { PortState } from './port-conflict.js';
import type { SessionForm } from './session-form.js';
import { MapLocalFields } from '../shaping/MapLocalFields.js';
import { HttpsOptions } from './HttpsOptions.js';
import type { NewSessionState } from './use-new-session.js';

type Update = (patch: Partial<SessionForm>) => void;

/** The new-session dialog's first tab: the options most sessions need. */
export function BasicsTab({ state }: { state: NewSessionState }) {
  const { form, update, errors, fieldError } = state;
  return (
    <div className="form-grid">
      <label htmlFor="ns-name">Name</label>
      <div>
        <input id="ns-name" data-testid="new-session-name" placeholder="auto-generated if empty" value={form.name} onChange={(e) => update({ name: e.target.value })} autoFocus />
        {fieldError('name') && <div className="field-error" data-testid="new-session-name-error">{fieldError('name')}</div>}
      </div>

      <span className="label">Mode</span>
      <ModeField mode={form.mode} update={update} />

      <label htmlFor="ns-target">Target URL</label>
      <TargetField form={form} update={update} touched={state.touched} error={errors.url} serverError={fieldError('targetUrl')} />

      <label htmlFor="ns-port">Listen port</label>
      <PortField port={form.listenPort} update={update} error={errors.port} check={state.port} />

      <label htmlFor="ns-namespace">Namespace</label>
      <input id="ns-namespace" data-testid="new-session-namespace" value={form.namespace} onChange={(e) => update({ namespace: e.target.value })} />

      <span className="label">HTTPS</span>
      <HttpsOptions form={form} update={update} mitmError={errors.mitm} serverMitmError={fieldError('mitm')} />

      <span className="label">Map local</span>
      <MapLocalFields value={form.mapLocal} onChange={(mapLocal) => update({ mapLocal })} problems={state.problems} sessionNamespace={form.namespace} />
    </div>
  );
}

function ModeField({ mode: current, update }: { mode: SessionForm['mode']; update: Update }) {
  return (
    <div className="segmented" role="radiogroup" aria-label="Mode">
      {(['reverse', 'forward'] as const).map((mode) => (
        <label key={mode} className={current === mode ? 'active' : ''}>
          <input type="radio" name="mode" value={mode} data-testid={`new-session-mode-${mode}`} checked={current === mode} onChange={() => update({ mode })} />
          {mode === 'reverse' ? 'Reverse proxy' : 'Forward proxy'}
        </label>
      ))}
    </div>
  );
}

function TargetField({ form, update, touched, error, serverError }: { form: SessionForm; update: Update; touched: boolean; error: string | null; serverError: string | null }) {
  return (
    <div>
      {/* A forward proxy goes wherever each request says: the field is kept (for a switch back) but unused. */}
      <input
        id="ns-target"
        data-testid="new-session-target"
        placeholder={form.mode === 'reverse' ? 'https://api.example.com' : 'not used: a forward proxy goes where each request says'}
        value={form.mode === 'reverse' ? form.targetUrl : ''}
        disabled={form.mode === 'forward'}
        onChange={(e) => update({ targetUrl: e.target.value })}
        aria-invalid={Boolean((touched || form.targetUrl) && error)}
      />
      {(touched || form.targetUrl !== '') && error && <div className="field-error" data-testid="new-session-target-error">{error}</div>}
      {serverError && <div className="field-error">{serverError}</div>}
    </div>
  );
}

function PortField({ port, update, error, check }: { port: string; update: Update; error: string | null; check: PortState }) {
  return (
    <div>
      <input id="ns-port" data-testid="new-session-port" inputMode="numeric" placeholder="auto (8081–8999)" value={port} onChange={(e) => update({ listenPort: e.target.value })} />
      <div className="field-hint" data-testid="new-session-port-status" data-state={error ? 'invalid' : check.kind}>
        {error ? <span className="field-error">{error}</span>
          : check.kind === 'checking' ? 'Checking…'
          : check.kind === 'free' ? <span className="ok">✓ Port {port} is free</span>
          : check.kind === 'taken' ? <span className="field-error">Port {port} is not available: {check.reason}</span>
          : check.kind === 'unknown' ? <span className="warn">Could not check the port: {check.reason}</span>
          : 'Blank picks a free port automatically.'}
      </div>
    </div>
  );
}

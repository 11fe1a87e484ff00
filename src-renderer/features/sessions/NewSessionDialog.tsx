import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { useClient } from '../../api/client-context.js';
import { describeError, RecorderClientError } from '../../api/recorder-client.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { useUiStore } from '../../stores/ui-store.js';
import { useDialog } from '../../components/use-dialog.js';
import { EMPTY_FORM, formToInput, inputToForm, validateMitmHosts, validatePort, validateTargetUrl } from './session-form.js';
import type { SessionForm } from './session-form.js';
import { withoutSessionIds } from './port-conflict.js';
import './sessions-polish.css';

// Monaco only loads when someone opens the full configuration.
const JsonEditor = lazy(() => import('../../editor/JsonEditor.js').then((m) => ({ default: m.JsonEditor })));

type PortState = { kind: 'idle' } | { kind: 'checking' } | { kind: 'free' } | { kind: 'taken'; reason: string } | { kind: 'unknown'; reason: string };

function usePortCheck(port: string): PortState {
  const client = useClient();
  const [state, setState] = useState<PortState>({ kind: 'idle' });
  useEffect(() => {
    if (!port.trim() || validatePort(port)) {
      setState({ kind: 'idle' });
      return;
    }
    setState({ kind: 'checking' });
    let stale = false;
    const timer = setTimeout(async () => {
      try {
        const result = await client.portCheck({ port: Number(port) });
        if (!stale) setState(result.available ? { kind: 'free' } : { kind: 'taken', reason: withoutSessionIds(result.reason ?? 'in use') });
      } catch (error) {
        if (!stale) setState({ kind: 'unknown', reason: describeError(error) });
      }
    }, 250);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [client, port]);
  return state;
}

export function NewSessionDialog() {
  const client = useClient();
  const close = () => useUiStore.getState().setNewSessionOpen(false);
  const dialog = useRef<HTMLFormElement>(null);
  // Focus moves in, Tab stays inside, Esc closes, focus returns: as every other dialog.
  useDialog(dialog, close);
  const [form, setForm] = useState<SessionForm>(EMPTY_FORM);
  const [tab, setTab] = useState<'form' | 'json'>('form');
  const [json, setJson] = useState('');
  const [jsonProblems, setJsonProblems] = useState<string[]>([]);
  const [touched, setTouched] = useState(false);
  const [submitting, setSubmitting] = useState(false);
  const [serverError, setServerError] = useState<{ message: string; field?: string; local?: boolean } | null>(null);
  const port = usePortCheck(tab === 'form' ? form.listenPort : '');

  const urlError = validateTargetUrl(form.targetUrl, form.mode);
  const portError = validatePort(form.listenPort);
  const mitmError = validateMitmHosts(form);
  const update = (patch: Partial<SessionForm>) => setForm((f) => ({ ...f, ...patch }));

  const parseJson = (): Record<string, unknown> | string => {
    try {
      const value = JSON.parse(json) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'The configuration must be a JSON object';
      return value as Record<string, unknown>;
    } catch (error) {
      return `Not valid JSON: ${(error as Error).message}`;
    }
  };

  const switchTab = (next: 'form' | 'json') => {
    if (next === tab) return;
    if (next === 'json') {
      const previous = json ? parseJson() : {};
      setJson(JSON.stringify(formToInput(form, typeof previous === 'string' ? {} : previous), null, 2));
    } else {
      const parsed = parseJson();
      if (typeof parsed === 'string') {
        setServerError({ message: parsed, local: true });
        return;
      }
      setForm(inputToForm(parsed));
    }
    setServerError(null);
    setTab(next);
  };

  const submit = async () => {
    setTouched(true);
    setServerError(null);
    let input: Record<string, unknown>;
    if (tab === 'json') {
      const parsed = parseJson();
      if (typeof parsed === 'string') {
        setServerError({ message: parsed, local: true });
        return;
      }
      input = parsed;
    } else {
      if (urlError || portError || mitmError) return;
      const previous = json ? parseJson() : {};
      input = formToInput(form, typeof previous === 'string' ? {} : previous) as Record<string, unknown>;
    }
    setSubmitting(true);
    try {
      const { session } = await client.startSession(input);
      const sessions = useSessionsStore.getState();
      sessions.upsert(session);
      sessions.select(session.id);
      useUiStore.getState().toast('info', `Recording "${session.name}" on ${session.proxyUrl}`);
      close();
    } catch (error) {
      setServerError({ message: describeError(error), field: error instanceof RecorderClientError ? error.field : undefined });
    } finally {
      setSubmitting(false);
    }
  };

  const fieldError = (field: string) => (serverError?.field?.split('.')[0] === field ? serverError.message : null);

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
          void submit();
        }}
      >
        <h2>New recording session</h2>
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={tab === 'form'} data-testid="new-session-tab-form" onClick={() => switchTab('form')}>Basics</button>
          <button type="button" role="tab" aria-selected={tab === 'json'} data-testid="new-session-tab-json" onClick={() => switchTab('json')}>Full configuration (JSON)</button>
        </div>
        {tab === 'form' ? (
          <div className="form-grid">
            <label htmlFor="ns-name">Name</label>
            <input id="ns-name" data-testid="new-session-name" placeholder="auto-generated if empty" value={form.name} onChange={(e) => update({ name: e.target.value })} autoFocus />

            <span className="label">Mode</span>
            <div className="segmented" role="radiogroup" aria-label="Mode">
              {(['reverse', 'forward'] as const).map((mode) => (
                <label key={mode} className={form.mode === mode ? 'active' : ''}>
                  <input type="radio" name="mode" value={mode} data-testid={`new-session-mode-${mode}`} checked={form.mode === mode} onChange={() => update({ mode })} />
                  {mode === 'reverse' ? 'Reverse proxy' : 'Forward proxy'}
                </label>
              ))}
            </div>

            <label htmlFor="ns-target">Target URL</label>
            <div>
              {/* A forward proxy goes wherever each request says: the field is kept (for a switch back) but unused. */}
              <input
                id="ns-target"
                data-testid="new-session-target"
                placeholder={form.mode === 'reverse' ? 'https://api.example.com' : 'not used: a forward proxy goes where each request says'}
                value={form.mode === 'reverse' ? form.targetUrl : ''}
                disabled={form.mode === 'forward'}
                onChange={(e) => update({ targetUrl: e.target.value })}
                aria-invalid={Boolean((touched || form.targetUrl) && urlError)}
              />
              {(touched || form.targetUrl !== '') && urlError && <div className="field-error" data-testid="new-session-target-error">{urlError}</div>}
              {fieldError('targetUrl') && <div className="field-error">{fieldError('targetUrl')}</div>}
            </div>

            <label htmlFor="ns-port">Listen port</label>
            <div>
              <input id="ns-port" data-testid="new-session-port" inputMode="numeric" placeholder="auto (8081–8999)" value={form.listenPort} onChange={(e) => update({ listenPort: e.target.value })} />
              <div className="field-hint" data-testid="new-session-port-status" data-state={portError ? 'invalid' : port.kind}>
                {portError ? <span className="field-error">{portError}</span>
                  : port.kind === 'checking' ? 'Checking…'
                  : port.kind === 'free' ? <span className="ok">✓ Port {form.listenPort} is free</span>
                  : port.kind === 'taken' ? <span className="field-error">Port {form.listenPort} is not available: {port.reason}</span>
                  : port.kind === 'unknown' ? <span className="warn">Could not check the port: {port.reason}</span>
                  : 'Blank picks a free port automatically.'}
              </div>
            </div>

            <label htmlFor="ns-namespace">Namespace</label>
            <input id="ns-namespace" data-testid="new-session-namespace" value={form.namespace} onChange={(e) => update({ namespace: e.target.value })} />

            <span className="label">HTTPS</span>
            <div className="https-options">
              {form.mode === 'forward' && (
                <>
                  <label className="checkbox">
                    <input type="checkbox" data-testid="new-session-mitm" checked={form.mitm} onChange={(e) => update({ mitm: e.target.checked })} />
                    Decrypt HTTPS (MITM)
                  </label>
                  {form.mitm && (
                    <div className="mitm-hosts">
                      <input
                        data-testid="new-session-mitm-include"
                        aria-label="Decrypt only these hosts"
                        placeholder="decrypt only these hosts (optional), e.g. api.example.com, *.test"
                        value={form.mitmIncludeHosts}
                        onChange={(e) => update({ mitmIncludeHosts: e.target.value })}
                      />
                      <input
                        data-testid="new-session-mitm-exclude"
                        aria-label="Pass these hosts through undecrypted"
                        placeholder="…or pass these hosts through undecrypted (optional)"
                        value={form.mitmExcludeHosts}
                        onChange={(e) => update({ mitmExcludeHosts: e.target.value })}
                      />
                      {mitmError && <div className="field-error" data-testid="new-session-mitm-error">{mitmError}</div>}
                      {fieldError('mitm') && <div className="field-error">{fieldError('mitm')}</div>}
                      <div className="field-hint">Clients must trust the Traffic Recorder CA (Settings ⚙) or get its file (the connect panel shows how).</div>
                    </div>
                  )}
                </>
              )}
              <label className="checkbox">
                <input
                  type="checkbox"
                  data-testid="new-session-ignore-cert"
                  checked={form.ignoreUpstreamCertErrors}
                  onChange={(e) => update({ ignoreUpstreamCertErrors: e.target.checked })}
                />
                Accept self-signed upstream certificates
              </label>
            </div>
          </div>
        ) : (
          <div className="json-config">
            <p className="field-hint">Every option this server accepts (filters, mitm, listenHost…); Ctrl+Space completes keys from its schema.</p>
            <Suspense fallback={<div className="editor-loading">Loading editor…</div>}>
              <JsonEditor value={json} onChange={setJson} onProblems={setJsonProblems} testId="new-session-json" />
            </Suspense>
            {jsonProblems.length > 0 && (
              <ul className="json-problems" data-testid="new-session-json-problems">
                {jsonProblems.slice(0, 5).map((p) => <li key={p}>{p}</li>)}
              </ul>
            )}
          </div>
        )}
        {serverError && (
          <div className="form-error" role="alert" data-testid="new-session-error">
            {!serverError.local && <strong>The server refused this session. </strong>}
            {serverError.message}
          </div>
        )}
        <div className="modal-actions">
          <button type="button" data-testid="new-session-cancel" onClick={close}>Cancel</button>
          <button type="submit" className="primary" data-testid="new-session-submit" disabled={submitting}>
            {submitting ? 'Starting…' : 'Start recording'}
          </button>
        </div>
      </form>
    </div>
  );
}

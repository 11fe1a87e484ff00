import { useState } from 'react';
import type { SystemProxyStatusResponse } from '../../../src-shared/machine.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { proxyChangeSummary, systemProxyCandidates, systemProxySummary, systemProxyUsesSession } from './machine-view.js';
import type { MachineProblem } from './machine-view.js';
import { useSystemProxy } from './use-system-proxy.js';
import type { ProxyChange } from './use-system-proxy.js';

/** The OS proxy switch: point the whole desktop at a running forward session, and put it back. */
export function SystemProxySection() {
  const sessions = useSessionsStore((s) => s.sessions);
  const candidates = systemProxyCandidates(sessions);
  const [chosen, setChosen] = useState('');
  const { status, statusProblem, problem, change, busy, toggle } = useSystemProxy();

  const sessionId = candidates.some((s) => s.id === chosen) ? chosen : (candidates[0]?.id ?? '');
  const session = candidates.find((s) => s.id === sessionId);

  const usesChosen = systemProxyUsesSession(status, session);

  return (
    <section className="settings-section" data-testid="settings-system-proxy">
      <h3>System proxy</h3>
      <p className="field-hint">
        Points this desktop’s proxy setting at a running forward session. The previous setting is saved and put back on Off, when
        the app quits, and on the next start after a crash.
      </p>
      <ProxyStatus status={status} problem={statusProblem} />
      <div className="settings-actions">
        <label htmlFor="system-proxy-session">Session</label>
        <select id="system-proxy-session" data-testid="system-proxy-session" value={sessionId} onChange={(e) => setChosen(e.target.value)} disabled={candidates.length === 0}>
          {candidates.length === 0 && <option value="">no running forward session</option>}
          {candidates.map((s) => (
            <option key={s.id} value={s.id}>{s.name} ({s.proxyUrl})</option>
          ))}
        </select>
        <div className="segmented" role="group" aria-label="System proxy">
          <button
            type="button"
            data-testid="system-proxy-on"
            aria-pressed={usesChosen}
            className={usesChosen ? 'active' : undefined}
            disabled={busy || !session || statusProblem?.kind === 'not_supported'}
            onClick={() => void toggle(true, sessionId)}
          >
            On
          </button>
          <button
            type="button"
            data-testid="system-proxy-off"
            aria-pressed={Boolean(status && !status.ours)}
            className={status && !status.ours ? 'active' : undefined}
            disabled={busy || statusProblem?.kind === 'not_supported'}
            onClick={() => void toggle(false, sessionId)}
          >
            Off
          </button>
        </div>
      </div>
      {problem && <div className="banner error" role="alert" data-testid="system-proxy-change-error" data-kind={problem.kind}>{problem.text}</div>}
      {change && <ChangeResult change={change} />}
    </section>
  );
}

function ProxyStatus({ status, problem }: { status: SystemProxyStatusResponse | null; problem: MachineProblem | null }) {
  const state = problem ? 'error' : status ? (status.ours ? 'ours' : status.current.enabled ? 'other' : 'off') : 'loading';
  return (
    <div className="system-proxy-status" data-testid="system-proxy-status" data-state={state} data-ours={status ? String(status.ours) : undefined}>
      {problem ? (
        <div className="banner error" role="alert" data-testid="system-proxy-error" data-kind={problem.kind}>{problem.text}</div>
      ) : status ? (
        <>
          <span>Current: {systemProxySummary(status)}</span>
          {status.current.bypass.length > 0 && <span className="muted small-text"> · bypass {status.current.bypass.join(', ')}</span>}
        </>
      ) : (
        'Checking…'
      )}
    </div>
  );
}

function ChangeResult({ change }: { change: ProxyChange }) {
  return (
    <div className="small-text" data-testid="system-proxy-result">
      {proxyChangeSummary(change)}
      {change.commands.length > 0 && <pre className="copyable">{change.commands.join('\n')}</pre>}
    </div>
  );
}

import type { TrustResult, TrustScope, TrustStatusResponse } from '../../../src-shared/machine.js';
import { trustCommandLines, trustResultSummary, trustStatusSummary } from './machine-view.js';
import { ProblemBanner } from './ProblemBanner.js';
import type { CaState } from './use-ca.js';

/** The OS trust store: whether it trusts the CA (per target), and install / uninstall / dry run with a scope. */
export function TrustSection({ state }: { state: CaState }) {
  const { trust, trustProblem, scope, setScope, result, busy, changeTrust } = state;
  return (
    <div className="trust" data-testid="trust-section">
      <h3>OS trust store</h3>
      <div className="trust-status" data-testid="trust-status" data-installed={trust ? String(trust.installed) : 'unknown'}>
        {trust ? trustStatusSummary(trust) : trustProblem ? 'Trust status unknown' : 'Checking…'}
      </div>
      {trust && trust.targets.length > 0 && <TrustTargets targets={trust.targets} />}
      <div className="settings-actions">
        <label htmlFor="trust-scope">Scope</label>
        <select id="trust-scope" data-testid="trust-scope" value={scope} onChange={(e) => setScope(e.target.value as TrustScope | '')}>
          <option value="">default</option>
          <option value="user">user</option>
          <option value="system">system</option>
          <option value="all">all</option>
        </select>
        <button type="button" data-testid="trust-dry-run" disabled={busy !== null} onClick={() => void changeTrust('install', true)}>
          {busy === 'dry-run' ? 'Planning…' : 'Dry run'}
        </button>
        <button type="button" className="primary" data-testid="trust-install" disabled={busy !== null} onClick={() => void changeTrust('install', false)}>
          {busy === 'install' ? 'Installing…' : 'Install into trust store'}
        </button>
        <button type="button" data-testid="trust-uninstall" disabled={busy !== null} onClick={() => void changeTrust('uninstall', false)}>
          {busy === 'uninstall' ? 'Removing…' : 'Uninstall'}
        </button>
      </div>
      <ProblemBanner problem={trustProblem} testId="trust-error" />
      {result && <TrustResultView result={result} />}
    </div>
  );
}

function TrustTargets({ targets }: { targets: TrustStatusResponse['targets'] }) {
  return (
    <ul className="trust-targets small-text" data-testid="trust-targets">
      {targets.map((t) => (
        <li key={t.target}>
          <span className="mono">{t.target}</span> ({t.scope}): {t.installed === null ? 'cannot tell' : t.installed ? 'installed' : 'not installed'}
          {t.detail ? <span className="muted"> — {t.detail}</span> : null}
        </li>
      ))}
    </ul>
  );
}

/** What an install, uninstall or dry run did (or would do), command by command, and what it skipped. */
function TrustResultView({ result }: { result: TrustResult }) {
  const lines = trustCommandLines(result);
  return (
    <div className="trust-result" data-testid="trust-result" data-dry-run={String(result.dryRun)} data-op={result.op}>
      <div>{trustResultSummary(result)}</div>
      {lines.length > 0 && (
        <pre className="copyable trust-commands" data-testid="trust-commands">
          {lines.map((l, i) => (
            <div key={i} data-testid="trust-command" title={l.target}>{l.line}</div>
          ))}
        </pre>
      )}
      {result.skipped.length > 0 && (
        <ul className="small-text muted" data-testid="trust-skipped">
          {result.skipped.map((s) => <li key={s.target}>Skipped {s.target}: {s.reason}</li>)}
        </ul>
      )}
    </div>
  );
}

import { useMemo, useState } from 'react';
import type { ShellKind } from '../../../src-shared/machine.js';
import type { Session } from '../../../src-shared/model.js';
import { useClient } from '../../api/client-context.js';
import { CopyButton } from '../../components/CopyButton.js';
import { useLoad } from '../../components/use-load.js';
import { machineProblem } from '../settings/machine-view.js';
import { SHELL_TABS, setupHint } from './connect-instructions.js';

type BrowserState = { kind: 'idle' | 'busy' } | { kind: 'done'; text: string } | { kind: 'error'; text: string };

/** The session's environment blocks, loaded again when it restarts (a new port, maybe); kept shown meanwhile. */
function useSessionSetup(session: Session) {
  const client = useClient();
  const load = useMemo(() => () => client.sessionSetup({ id: session.id }), [client, session.id]);
  const loaded = useLoad(load, `${session.startedAt}:${session.listenPort}`);
  const setup = loaded.status === 'done' ? loaded.value : (loaded.last ?? null);
  return { setup, error: loaded.status === 'failed' ? machineProblem(loaded.error).text : null };
}

function useOpenBrowser(session: Session) {
  const client = useClient();
  const [browser, setBrowser] = useState<BrowserState>({ kind: 'idle' });
  const openBrowser = async () => {
    setBrowser({ kind: 'busy' });
    try {
      const launched = await client.openBrowser({ id: session.id });
      const pid = launched.pid ? ` (pid ${launched.pid})` : '';
      const text = launched.reused
        ? `Already open: ${launched.executable}${pid}, through ${session.proxyUrl}.`
        : `Started ${launched.executable}${pid} with a throwaway profile through ${session.proxyUrl}.`;
      setBrowser({ kind: 'done', text });
    } catch (e) {
      setBrowser({ kind: 'error', text: machineProblem(e).text });
    }
  };
  return { browser, openBrowser };
}

/**
 * For a running forward session: the environment block (proxy + CA file) per shell from `sessionSetup`, and
 * "Open a browser through this session".
 */
export function HttpsSetup({ session }: { session: Session }) {
  const { setup, error } = useSessionSetup(session);
  const { browser, openBrowser } = useOpenBrowser(session);
  const [shell, setShell] = useState<ShellKind>('posix');

  return (
    <>
      <div className="connect-row connect-env-row">
        <span className="connect-label">Environment (proxy + CA)</span>
        <div className="connect-env-box">
          <div className="env-tabs" role="tablist" aria-label="Shell">
            {SHELL_TABS.map((tab) => (
              <button key={tab.shell} type="button" role="tab" className="small" aria-selected={shell === tab.shell} data-testid={`connect-env-tab-${tab.shell}`} onClick={() => setShell(tab.shell)}>
                {tab.label}
              </button>
            ))}
          </div>
          {error && <div className="field-error" data-testid="connect-env-error">{error}</div>}
          {setup && <pre className="copyable connect-env" data-testid="connect-env" data-shell={shell}>{setup.scripts[shell]}</pre>}
          {setup && setupHint(setup) && <div className="connect-hint" data-testid="connect-env-hint">{setupHint(setup)}</div>}
        </div>
        {setup && <CopyButton text={() => setup.scripts[shell]} testId="connect-copy-env" />}
      </div>
      <div className="connect-row">
        <span className="connect-label">Browser</span>
        <button type="button" className="small" data-testid="connect-open-browser" disabled={browser.kind === 'busy'} onClick={() => void openBrowser()}>
          {browser.kind === 'busy' ? 'Starting…' : 'Open a browser through this session'}
        </button>
        {browser.kind === 'done' && <span className="connect-hint" data-testid="connect-open-browser-result">{browser.text}</span>}
        {browser.kind === 'error' && <span className="field-error" role="alert" data-testid="connect-open-browser-error">{browser.text}</span>}
      </div>
    </>
  );
}

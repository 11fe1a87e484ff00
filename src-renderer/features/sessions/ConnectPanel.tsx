import { memo, useState } from 'react';
import type { Session } from '../../../src-shared/model.js';
import { CopyButton } from '../../components/CopyButton.js';
import { connectInstructions, forwardHint } from './connect-instructions.js';
import { HttpsSetup } from './HttpsSetup.js';

const OPEN_KEY = 'traffic-recorder.connect-panel-open';

/** The panel's open state outlives reloads: once someone knows how to connect, it stays out of the way. */
function useRememberedOpen(): [boolean, (open: boolean) => void] {
  const [open, setOpen] = useState(() => {
    try {
      return localStorage.getItem(OPEN_KEY) !== 'false';
    } catch {
      return true;
    }
  });
  const remember = (next: boolean) => {
    setOpen(next);
    try {
      localStorage.setItem(OPEN_KEY, String(next));
    } catch {
      // Storage refused (private mode, quota): the choice lasts for this page only.
    }
  };
  return [open, remember];
}

export const ConnectPanel = memo(function ConnectPanel({ session }: { session: Session }) {
  const [open, setOpen] = useRememberedOpen();
  if (session.status !== 'running') {
    return (
      <div className="connect-panel stopped" data-testid="connect-panel">
        Session stopped{session.stoppedAt ? ` at ${new Date(session.stoppedAt).toLocaleTimeString()}` : ''}. Its recorded entries stay readable; Start records again.
      </div>
    );
  }
  const { setup, tryIt } = connectInstructions(session);
  return (
    <div className="connect-panel" data-testid="connect-panel">
      <button type="button" className="link-button" data-testid="connect-toggle" onClick={() => setOpen(!open)} aria-expanded={open}>
        {open ? '▾' : '▸'} How to connect
      </button>
      {open && (
        <div className="connect-body">
          <div className="connect-row">
            <span className="connect-label">{session.mode === 'reverse' ? 'Point your app at' : 'Set in your app’s environment'}</span>
            <pre className="copyable" data-testid="connect-setup">{setup}</pre>
            <CopyButton text={setup} testId="connect-copy-setup" />
          </div>
          <div className="connect-row">
            <span className="connect-label">Try it</span>
            <pre className="copyable" data-testid="connect-curl">{tryIt}</pre>
            <CopyButton text={tryIt} testId="connect-copy-curl" />
          </div>
          {session.mode === 'reverse' && session.targetUrl && (
            <div className="connect-hint">Requests to {session.proxyUrl} are forwarded to {session.targetUrl} and recorded.</div>
          )}
          {session.mode === 'forward' && <HttpsSetup session={session} />}
          {session.mode === 'forward' && <div className="connect-hint" data-testid="connect-https-hint">{forwardHint(session)}</div>}
        </div>
      )}
    </div>
  );
});

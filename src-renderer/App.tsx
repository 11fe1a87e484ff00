import { useEffect } from 'react';
import { ClientContext } from './api/client-context.js';
import { Toasts } from './components/Toasts.js';
import { TokenPrompt } from './features/auth/TokenPrompt.js';
import { useConnection } from './features/auth/use-connection.js';
import { useSelectionInUrl } from './features/sessions/selection-url.js';
import { MainView } from './MainView.js';

export function App() {
  useSelectionInUrl();
  const { state, busy, connectWithToken, retry } = useConnection();

  useEffect(() => {
    // The e2e tests (and people) wait on this: token accepted and the first session list is in the store.
    if (state.phase === 'ready') document.body.dataset.appReady = 'true';
  }, [state.phase]);

  let content;
  switch (state.phase) {
    case 'checking':
      content = <div className="splash" data-testid="app-loading">Connecting…</div>;
      break;
    case 'need-token':
      content = <TokenPrompt error={state.error} busy={busy} onSubmit={connectWithToken} />;
      break;
    case 'failed':
      content = (
        <div className="splash" data-testid="app-failed">
          <p className="form-error" role="alert">Could not load the recorder: {state.error}</p>
          <button type="button" onClick={retry}>Try again</button>
        </div>
      );
      break;
    case 'ready':
      content = (
        <ClientContext.Provider value={state.client}>
          <MainView />
        </ClientContext.Provider>
      );
      break;
    default: {
      const never: never = state;
      content = String(never);
    }
  }
  return (
    <>
      {content}
      <Toasts />
    </>
  );
}

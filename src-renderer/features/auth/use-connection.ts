/**
 * Picks the transport (preload bridge in Electron, REST+WS in a browser), checks the token with a first
 * session listing, and falls back to the prompt on 401 at any later time too.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { createHttpClient } from '../../api/http-client.js';
import { getIpcClient } from '../../api/ipc-client.js';
import { describeError, isUnauthorized } from '../../api/recorder-client.js';
import type { RecorderClient } from '../../api/recorder-client.js';
import { forgetToken, saveToken, takeInitialToken } from '../../api/token.js';
import { useSessionsStore } from '../../stores/sessions-store.js';

export type ConnectionState =
  | { phase: 'checking' }
  | { phase: 'need-token'; error: string | null }
  | { phase: 'failed'; error: string }
  | { phase: 'ready'; client: RecorderClient };

export const UNAUTHORIZED_MESSAGE = 'The server rejected this API token (401 Unauthorized). Enter the token printed by "traffic-recorder serve".';

const always = () => true;

export function useConnection() {
  const ipc = useMemo(() => getIpcClient(), []);
  // Taken at the first render, so the first state is right at once (no prompt flashes before a check). Taking it
  // twice is harmless: the first call moves a fragment token into the tab's storage, where the second finds it.
  const [initialToken] = useState(() => (ipc ? null : takeInitialToken()));
  const [state, setState] = useState<ConnectionState>(() => (ipc || initialToken ? { phase: 'checking' } : { phase: 'need-token', error: null }));
  const [busy, setBusy] = useState(false);

  const onUnauthorized = useCallback(() => {
    forgetToken();
    delete document.body.dataset.appReady;
    setState({ phase: 'need-token', error: UNAUTHORIZED_MESSAGE });
  }, []);

  /** The first listing proves the client works; state changes only once it answered, and only while `live()`. */
  const check = useCallback((client: RecorderClient, token: string | null, live: () => boolean = always) =>
    client.listSessions().then(
      ({ sessions }) => {
        if (!live()) return;
        if (token) saveToken(token);
        useSessionsStore.getState().setSessions(sessions);
        setState({ phase: 'ready', client });
      },
      (error: unknown) => {
        if (!live()) return;
        if (isUnauthorized(error)) onUnauthorized();
        else setState({ phase: 'failed', error: describeError(error) });
      },
    ), [onUnauthorized]);

  const connectWithToken = useCallback((token: string) => {
    setBusy(true);
    void check(createHttpClient({ token, onUnauthorized }), token).finally(() => setBusy(false));
  }, [check, onUnauthorized]);

  const retry = useCallback(() => {
    if (ipc) {
      void check(ipc, null);
      return;
    }
    const token = takeInitialToken();
    if (token) connectWithToken(token);
    else setState({ phase: 'need-token', error: null });
  }, [ipc, check, connectWithToken]);

  useEffect(() => {
    let live = true;
    const client = ipc ?? (initialToken ? createHttpClient({ token: initialToken, onUnauthorized }) : null);
    if (client) void check(client, initialToken, () => live);
    return () => {
      live = false;
    };
  }, [ipc, initialToken, check, onUnauthorized]);

  return { state, busy, connectWithToken, retry };
}

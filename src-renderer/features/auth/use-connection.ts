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

export function useConnection() {
  const [state, setState] = useState<ConnectionState>({ phase: 'checking' });
  const [busy, setBusy] = useState(false);
  const ipc = useMemo(() => getIpcClient(), []);

  const onUnauthorized = useCallback(() => {
    forgetToken();
    delete document.body.dataset.appReady;
    setState({ phase: 'need-token', error: UNAUTHORIZED_MESSAGE });
  }, []);

  const tryClient = useCallback(async (client: RecorderClient, token: string | null) => {
    setBusy(true);
    try {
      const { sessions } = await client.listSessions();
      if (token) saveToken(token);
      useSessionsStore.getState().setSessions(sessions);
      setState({ phase: 'ready', client });
    } catch (error) {
      if (isUnauthorized(error)) onUnauthorized();
      else setState({ phase: 'failed', error: describeError(error) });
    } finally {
      setBusy(false);
    }
  }, [onUnauthorized]);

  const connectWithToken = useCallback((token: string) => {
    void tryClient(createHttpClient({ token, onUnauthorized }), token);
  }, [tryClient, onUnauthorized]);

  const retry = useCallback(() => {
    if (ipc) {
      void tryClient(ipc, null);
      return;
    }
    const token = takeInitialToken();
    if (token) connectWithToken(token);
    else setState({ phase: 'need-token', error: null });
  }, [ipc, tryClient, connectWithToken]);

  useEffect(() => {
    retry();
  }, [retry]);

  return { state, busy, connectWithToken, retry };
}

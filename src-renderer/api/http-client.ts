/**
 * RecorderClient over the headless server's REST API and WebSocket stream. The bearer token goes in the
 * Authorization header for REST and in the WebSocket subprotocol, because browsers cannot set headers on
 * a WebSocket and a token in the URL would end up in logs.
 */
import { API_PREFIX, OPERATIONS, WS_TOKEN_PROTOCOL_PREFIX, fillPath } from '../../src-shared/contract.js';
import type { StreamMessage } from '../../src-shared/model.js';
import { createRestClient } from '../../src-shared/rest-client.js';
import type { RecorderClient, SubscribeOptions } from './recorder-client.js';

export interface HttpClientOptions {
  token: string;
  /** Origin of the server; defaults to the page's own. */
  origin?: string;
  /** Called on any 401 so the app can ask for the token again. */
  onUnauthorized?: () => void;
}

/** Parse one WebSocket frame: a single message or `{type:'batch', messages:[...]}`. */
export function parseStreamFrame(data: string): StreamMessage[] {
  const parsed = JSON.parse(data) as { type?: string; messages?: unknown };
  if (parsed.type === 'batch' && Array.isArray(parsed.messages)) return parsed.messages as StreamMessage[];
  return [parsed as StreamMessage];
}

/** `{"type":"resync",...}`: the server dropped messages for this subscriber while it was not reading. */
export function isResync(messages: readonly StreamMessage[]): boolean {
  return messages.length === 1 && (messages[0] as { type: string }).type === 'resync';
}

export function createHttpClient(options: HttpClientOptions): RecorderClient {
  const origin = options.origin ?? window.location.origin;
  const rest = createRestClient({ server: origin, token: () => options.token, onUnauthorized: options.onUnauthorized });
  const client: RecorderClient = {
    ...rest,
    subscribe: (sessionId, onMessages, subscribeOptions) => subscribeStream(sessionId, onMessages, subscribeOptions),
  };

  function subscribeStream(sessionId: string, onMessages: (m: StreamMessage[]) => void, subOptions: SubscribeOptions = {}): () => void {
    const wsOrigin = origin.replace(/^http/, 'ws');
    const url = `${wsOrigin}${API_PREFIX}${fillPath(OPERATIONS.subscribe.path, { id: sessionId }).path}?batch=1&pending=1`;
    let socket: WebSocket | null = null;
    let closed = false;
    let retryMs = 500;
    let retryTimer: ReturnType<typeof setTimeout> | undefined;

    const connect = () => {
      subOptions.onState?.('connecting');
      socket = new WebSocket(url, [WS_TOKEN_PROTOCOL_PREFIX + options.token]);
      socket.onopen = () => {
        retryMs = 500;
        subOptions.onState?.('open');
      };
      socket.onmessage = (event) => {
        if (typeof event.data !== 'string') return;
        try {
          const messages = parseStreamFrame(event.data);
          if (isResync(messages)) {
            // The server skipped messages while we lagged: report a gap, so the view reloads from the history.
            subOptions.onState?.('closed', 'the stream fell behind; reloading');
            subOptions.onState?.('open');
            return;
          }
          onMessages(messages);
        } catch {
          // One bad frame must not end the stream.
        }
      };
      socket.onclose = (event) => {
        socket = null;
        if (closed) return;
        subOptions.onState?.('closed', event.reason || `closed (${event.code})`);
        // A deleted session closes its stream for good; otherwise reconnect with backoff (server restarts).
        if (event.code === 4404 || event.code === 4401) return;
        retryTimer = setTimeout(connect, retryMs);
        retryMs = Math.min(retryMs * 2, 10_000);
      };
    };
    connect();
    return () => {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      socket?.close(1000, 'unsubscribe');
    };
  }

  return client;
}

/**
 * RecorderClient over the headless server's REST API and WebSocket stream. The bearer token goes in the
 * Authorization header for REST and in the WebSocket subprotocol, because browsers cannot set headers on
 * a WebSocket and a token in the URL would end up in logs.
 */
import { API_PREFIX, ENTRY_BODY_PATH, MACHINE_ROUTES, ROUTES, STREAM_PATH } from '../../src-shared/contract.js';
import type { OperationName } from '../../src-shared/contract.js';
import type { MachineOperationName } from '../../src-shared/machine.js';
import type { StreamMessage } from '../../src-shared/model.js';
import { isApiErrorBody } from '../../src-shared/errors.js';
import { RecorderClientError } from './recorder-client.js';
import type { RecorderClient, SubscribeOptions } from './recorder-client.js';

export const WS_TOKEN_PROTOCOL_PREFIX = 'traffic-recorder.bearer.';

export interface HttpClientOptions {
  token: string;
  /** Origin of the server; defaults to the page's own. */
  origin?: string;
  /** Called on any 401 so the app can ask for the token again. */
  onUnauthorized?: () => void;
}

function fillPath(template: string, params: Record<string, unknown>): { path: string; used: Set<string> } {
  const used = new Set<string>();
  const path = template.replace(/:(\w+)/g, (_m, name: string) => {
    used.add(name);
    return encodeURIComponent(String(params[name]));
  });
  return { path, used };
}

function query(params: Record<string, unknown>, skip: Set<string>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (skip.has(k) || v === undefined || v === null) continue;
    search.set(k, String(v));
  }
  const s = search.toString();
  return s ? `?${s}` : '';
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
  const base = origin + API_PREFIX;

  async function request<T>(method: string, path: string, body?: unknown, as: 'json' | 'blob' | 'text' = 'json'): Promise<T> {
    let response: Response;
    try {
      response = await fetch(base + path, {
        method,
        headers: {
          Authorization: `Bearer ${options.token}`,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new RecorderClientError(`Cannot reach the recorder server (${(error as Error).message})`, 'network', 0);
    }
    if (!response.ok) {
      let payload: unknown = null;
      try {
        payload = await response.json();
      } catch {
        // Not JSON (a proxy's HTML error page, say): the status line is all we have.
      }
      if (response.status === 401) options.onUnauthorized?.();
      if (isApiErrorBody(payload)) throw new RecorderClientError(payload.error, payload.code, response.status, payload.field);
      throw new RecorderClientError(`${response.status} ${response.statusText || 'error'}`, 'http', response.status);
    }
    if (as === 'blob') return (await response.blob()) as T;
    if (as === 'text') return (await response.text()) as T;
    return (await response.json()) as T;
  }

  function call<T>(name: OperationName, params: Record<string, unknown> = {}, bodyKeys?: string[]): Promise<T> {
    const route = ROUTES[name];
    const { path, used } = fillPath(route.path, params);
    if (route.method === 'GET' || route.method === 'DELETE') return request<T>(route.method, path + query(params, used));
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) if (!used.has(k) && (!bodyKeys || bodyKeys.includes(k))) body[k] = v;
    return request<T>(route.method, path, body);
  }

  /** A machine operation: path parameters from `pathParams`, POSTs send `body` (default `{}`) as JSON. */
  function machine<T>(name: MachineOperationName, pathParams: Record<string, unknown> = {}, body?: object, as: 'json' | 'text' = 'json'): Promise<T> {
    const route = MACHINE_ROUTES[name];
    const { path } = fillPath(route.path, pathParams);
    return route.method === 'GET' ? request<T>('GET', path, undefined, as) : request<T>(route.method, path, body ?? {}, as);
  }

  const client: RecorderClient = {
    startSession: (input) => call('startSession', input as Record<string, unknown>),
    listSessions: () => call('listSessions'),
    getSession: (p) => call('getSession', p),
    stopSession: (p) => call('stopSession', p),
    restartSession: (p) => call('restartSession', p),
    deleteSession: (p) => call('deleteSession', p),
    listEntries: (p) => call('listEntries', p),
    getEntry: (p) => call('getEntry', p),
    patchEntry: (p) => call('patchEntry', p, ['tags', 'notes']),
    ports: () => call('ports'),
    storage: () => call('storage'),
    portCheck: (p) => call('portCheck', p),
    searchEntries: ({ id, q }) =>
      request('GET', `/${encodeURIComponent(id)}/entries/search?q=${encodeURIComponent(q)}`),
    getEntryBody: ({ id, entryId, which, decoded }) => {
      const { path } = fillPath(ENTRY_BODY_PATH, { id, entryId, which });
      return request<Blob>('GET', path + (decoded ? '?decoded=1' : ''), undefined, 'blob');
    },
    caStatus: () => machine('caStatus'),
    caGenerate: () => machine('caGenerate'),
    caDownload: () => machine('caDownload', {}, undefined, 'text'),
    trustStatus: () => machine('trustStatus'),
    trustInstall: (params) => machine('trustInstall', {}, params),
    trustUninstall: (params) => machine('trustUninstall', {}, params),
    systemProxyStatus: () => machine('systemProxyStatus'),
    systemProxyOn: (params) => machine('systemProxyOn', {}, params),
    systemProxyOff: (params) => machine('systemProxyOff', {}, params),
    sessionSetup: (id) => machine('sessionSetup', { id }),
    openBrowser: (id, options) => machine('openBrowser', { id }, options),
    subscribe: (sessionId, onMessages, subscribeOptions) => subscribeStream(sessionId, onMessages, subscribeOptions),
    getStorage: () => request('GET', '/storage'),
  };

  function subscribeStream(sessionId: string, onMessages: (m: StreamMessage[]) => void, subOptions: SubscribeOptions = {}): () => void {
    const wsOrigin = origin.replace(/^http/, 'ws');
    const url = `${wsOrigin}${API_PREFIX}${fillPath(STREAM_PATH, { id: sessionId }).path}?batch=1&pending=1`;
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

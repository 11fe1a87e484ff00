/**
 * The one interface the renderer talks to. It is the shared contract plus what a UI needs on top:
 * the live stream, body search and raw bodies. Two implementations: REST+WebSocket (browser, here) and the
 * Electron preload bridge (`window.trafficRecorder`), which can expose an object of exactly this shape.
 */
import type { RecorderOperations } from '../../src-shared/contract.js';
import type { MachineOperations, OpenBrowserInput, OpenBrowserResponse, SessionSetupResponse } from '../../src-shared/machine.js';
import type { StorageStatus, StorageUsage, StreamMessage } from '../../src-shared/model.js';

export type StreamState = 'connecting' | 'open' | 'closed';

export interface SubscribeOptions {
  /** Connection state changes, for the "live" indicator and reconnect logic. */
  onState?: (state: StreamState, detail?: string) => void;
}

/**
 * The machine operations (MACHINE_ROUTES: CA, trust store, system proxy, per-session setup, open a browser).
 * The two session-scoped ones take the session id first.
 */
export interface MachineClient extends Omit<MachineOperations, 'sessionSetup' | 'openBrowser'> {
  /** Copyable setup of one session: environment blocks per shell, Chromium arguments, a curl line. */
  sessionSetup(id: string): Promise<SessionSetupResponse>;
  /** Start a Chromium-family browser through the session (isolated profile, the CA's SPKI pin). */
  openBrowser(id: string, options?: OpenBrowserInput): Promise<OpenBrowserResponse>;
}

export interface RecorderClient extends RecorderOperations, MachineClient {
  /** Server-side full-text search over bodies: ids of matching entries of one session. */
  searchEntries(params: { id: string; q: string }): Promise<{ ids: string[] }>;
  /** Raw (or, with decoded, content-decoded) body bytes. */
  getEntryBody(params: { id: string; entryId: string; which: 'request' | 'response'; decoded?: boolean }): Promise<Blob>;
  /**
   * Live messages of one session. Implementations may hand over several at once (a server batch frame);
   * the caller batches again per animation frame. Returns the unsubscribe function.
   */
  subscribe(sessionId: string, onMessages: (messages: StreamMessage[]) => void, options?: SubscribeOptions): () => void;
  /**
   * `GET /storage`: the store's state and, from servers that report it, its usage (`usage` absent otherwise).
   * Optional: the desktop bridge does not carry it yet.
   */
  getStorage?(): Promise<{ storage: StorageStatus & { usage?: StorageUsage } }>;
}

/** Every error a client raises: the server's `{error, code, field}` plus the HTTP status when there was one. */
export class RecorderClientError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'RecorderClientError';
  }
}

export function isUnauthorized(error: unknown): boolean {
  return error instanceof RecorderClientError && (error.status === 401 || error.code === 'unauthorized');
}

/** One line a person can read, naming the field when the server named one. */
export function describeError(error: unknown): string {
  if (error instanceof RecorderClientError) {
    const prefix = error.field && !error.message.includes(error.field) ? `${error.field}: ` : '';
    return `${prefix}${error.message}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

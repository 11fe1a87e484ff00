/**
 * The one interface the renderer talks to: every operation of the table (src-shared/contract.ts) that answers once,
 * plus the live stream. Two implementations, both derived from the table: REST+WebSocket (browser, http-client.ts)
 * and the Electron preload bridge (`window.trafficRecorder`, ipc-client.ts). `bytes` operations (bodies, the CA
 * file) answer `{ bytes, contentType }` on both.
 */
import type { OperationClient } from '../../src-shared/contract.js';
import type { StreamMessage } from '../../src-shared/model.js';
import { RecorderClientError } from '../../src-shared/rest-client.js';

export { RecorderClientError };

export type StreamState = 'connecting' | 'open' | 'closed';

export interface SubscribeOptions {
  /** Connection state changes, for the "live" indicator and reconnect logic. */
  onState?: (state: StreamState, detail?: string) => void;
}

export interface RecorderClient extends OperationClient {
  /**
   * Live messages of one session. Implementations may hand over several at once (a server batch frame);
   * the caller batches again per animation frame. Returns the unsubscribe function.
   */
  subscribe(sessionId: string, onMessages: (messages: StreamMessage[]) => void, options?: SubscribeOptions): () => void;
}

/** A `bytes` answer as a Blob (for downloads and the body views). */
export function blobOf(result: { bytes: Uint8Array; contentType?: string }): Blob {
  return new Blob([result.bytes as Uint8Array<ArrayBuffer>], result.contentType ? { type: result.contentType } : {});
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

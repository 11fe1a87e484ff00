import type { StreamMessage } from '../../../src-shared/model.js';

/**
 * One batch in its wire forms, each built at most once however many subscribers send it: serialising per
 * subscriber made 200 subscribers cost the proxy most of its throughput.
 */
export class EncodedBatch {
  private texts: string[] | undefined;
  private encodedFrames: Buffer[] | undefined;
  private encodedBatch: Buffer | undefined;

  constructor(readonly messages: readonly StreamMessage[]) {}

  /** One UTF-8 JSON text per message (bytes, so that sockets need not convert them again each). */
  get frames(): readonly Buffer[] {
    return (this.encodedFrames ??= this.jsonTexts().map((text) => Buffer.from(text)));
  }

  /** `{"type":"batch","messages":[...]}`, reusing the per-message texts. */
  get batchFrame(): Buffer {
    return (this.encodedBatch ??= Buffer.from(`{"type":"batch","messages":[${this.jsonTexts().join(',')}]}`));
  }

  private jsonTexts(): string[] {
    return (this.texts ??= this.messages.map((message) => JSON.stringify(message)));
  }
}

export type StreamListener = (messages: StreamMessage[], encoded: EncodedBatch) => void;

/**
 * Per-session fan-out of stream messages, batched: capture publishes as it goes, listeners get one array per
 * ~`intervalMs` (the renderer applies a batch per animation frame; the REST stream sends one frame per message).
 */
export class StreamHub {
  private readonly listeners = new Map<string, Set<StreamListener>>();
  private pending = new Map<string, StreamMessage[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 50) {}

  subscribe(sessionId: string, listener: StreamListener): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(sessionId);
    };
  }

  hasListeners(sessionId: string): boolean {
    return this.listeners.has(sessionId);
  }

  publish(sessionId: string, message: StreamMessage): void {
    if (!this.listeners.has(sessionId)) return;
    let queue = this.pending.get(sessionId);
    if (!queue) this.pending.set(sessionId, (queue = []));
    queue.push(message);
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = this.pending;
    this.pending = new Map();
    for (const [sessionId, messages] of batches) {
      const encoded = new EncodedBatch(messages);
      for (const listener of this.listeners.get(sessionId) ?? []) {
        try {
          listener(messages, encoded);
        } catch (e) {
          console.warn(`stream listener for session ${sessionId} failed: ${(e as Error).message}`);
        }
      }
    }
  }

  close(): void {
    this.flush();
    this.listeners.clear();
  }
}

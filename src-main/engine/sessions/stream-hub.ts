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

export interface SubscribeOptions {
  /**
   * Also receive `pending` messages (a request in flight, completed in place by its entry). Opt-in: the reference's
   * stream carries entries only, and its clients must not meet a message type they do not know.
   */
  pending?: boolean;
}

interface Queued {
  message: StreamMessage;
  /** Meant for pending-aware subscribers only (a pending record, or its withdrawal). */
  pendingOnly: boolean;
}

/**
 * Per-session fan-out of stream messages, batched: capture publishes as it goes, listeners get one array per
 * ~`intervalMs` (the renderer applies a batch per animation frame; the REST stream sends one frame per message).
 */
export class StreamHub {
  private readonly listeners = new Map<string, Map<StreamListener, SubscribeOptions>>();
  private pending = new Map<string, Queued[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly intervalMs = 50) {}

  subscribe(sessionId: string, listener: StreamListener, options: SubscribeOptions = {}): () => void {
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Map<StreamListener, SubscribeOptions>()));
    set.set(listener, options);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(sessionId);
    };
  }

  /** Someone watching this session asked for pending messages. */
  wantsPending(sessionId: string): boolean {
    for (const options of this.listeners.get(sessionId)?.values() ?? []) if (options.pending) return true;
    return false;
  }

  publish(sessionId: string, message: StreamMessage, pendingOnly = false): void {
    if (!this.listeners.has(sessionId)) return;
    let queue = this.pending.get(sessionId);
    if (!queue) this.pending.set(sessionId, (queue = []));
    queue.push({ message, pendingOnly });
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batches = this.pending;
    this.pending = new Map();
    for (const [sessionId, queued] of batches) {
      // Each wire form at most once, whoever receives it.
      let full: EncodedBatch | undefined;
      let plain: EncodedBatch | undefined;
      for (const [listener, options] of this.listeners.get(sessionId) ?? []) {
        const encoded = options.pending
          ? (full ??= new EncodedBatch(queued.map((q) => q.message)))
          : (plain ??= new EncodedBatch(queued.filter((q) => !q.pendingOnly).map((q) => q.message)));
        if (encoded.messages.length === 0) continue;
        try {
          listener(encoded.messages as StreamMessage[], encoded);
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

/**
 * One WebSocket subscriber of a session's stream, with back-pressure. A subscriber that stops reading must not
 * grow our memory: once its unsent bytes pass a bound, batches are dropped for it (counted), and when it has
 * caught up it gets one `resync` message saying how many it missed, so it can reload the entries over REST.
 * One that stays stuck too long is closed with a reason.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { EncodedBatch } from '../engine/sessions/stream-hub.js';

export interface StreamBackpressureOptions {
  /** Stop sending once this many bytes wait unsent for the subscriber. */
  maxBufferedBytes: number;
  /** A lagging subscriber resumes (after a resync message) once its backlog is down to this. */
  resumeBelowBytes: number;
  /** Close a subscriber that has lagged this long without catching up. */
  stallCloseMs: number;
}

export const DEFAULT_STREAM_BACKPRESSURE: StreamBackpressureOptions = {
  maxBufferedBytes: 4 * 1024 * 1024,
  resumeBelowBytes: 1024 * 1024,
  stallCloseMs: 60_000,
};

/** Close code for a subscriber that stopped reading (4000–4999 are ours to define). */
export const STREAM_TOO_SLOW_CLOSE_CODE = 4008;

export interface StreamSubscriberStats {
  sessionId: string;
  bufferedAmount: number;
  /** The most bytes ever waiting unsent right after a send. */
  peakBufferedAmount: number;
  /** Messages not sent since the last resync (or since the start). */
  dropped: number;
  lagging: boolean;
  resyncs: number;
  /** Closed or closing (for instance for being too slow). */
  closed: boolean;
}

export class StreamSubscriber {
  private dropped = 0;
  private resyncs = 0;
  private peak = 0;
  private laggingSince: number | undefined;

  constructor(
    readonly sessionId: string,
    private readonly socket: WebSocket,
    private readonly batch: boolean,
    private readonly options: StreamBackpressureOptions,
    rawSocket: Socket | undefined,
  ) {
    // Catching up is noticed when the kernel takes the backlog, not only when the next batch comes.
    rawSocket?.on('drain', () => this.resumeIfCaughtUp());
  }

  deliver(encoded: EncodedBatch): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.laggingSince !== undefined && !this.resumeIfCaughtUp()) return this.drop(encoded.messages.length);
    if (this.socket.bufferedAmount > this.options.maxBufferedBytes) {
      this.laggingSince = Date.now();
      return this.drop(encoded.messages.length);
    }
    if (this.batch) this.send(encoded.batchFrame);
    else for (const frame of encoded.frames) this.send(frame);
  }

  stats(): StreamSubscriberStats {
    return {
      sessionId: this.sessionId,
      bufferedAmount: this.socket.bufferedAmount,
      peakBufferedAmount: this.peak,
      dropped: this.dropped,
      lagging: this.laggingSince !== undefined,
      resyncs: this.resyncs,
      closed: this.socket.readyState !== this.socket.OPEN,
    };
  }

  private send(frame: Buffer | string): void {
    // Text frames: the bytes are already UTF-8 JSON.
    this.socket.send(frame, { binary: false });
    this.peak = Math.max(this.peak, this.socket.bufferedAmount);
  }

  private drop(count: number): void {
    this.dropped += count;
    if (this.laggingSince !== undefined && Date.now() - this.laggingSince >= this.options.stallCloseMs) {
      const reason = `stream subscriber too slow: ${this.dropped} messages not sent`;
      this.laggingSince = undefined;
      this.socket.close(STREAM_TOO_SLOW_CLOSE_CODE, reason.slice(0, 120));
    }
  }

  /** True when not (or no longer) lagging; on catching up, says what was missed before anything else. */
  private resumeIfCaughtUp(): boolean {
    if (this.laggingSince === undefined) return true;
    if (this.socket.readyState !== this.socket.OPEN || this.socket.bufferedAmount > this.options.resumeBelowBytes) return false;
    const dropped = this.dropped;
    this.laggingSince = undefined;
    this.dropped = 0;
    this.resyncs++;
    this.send(
      JSON.stringify({
        type: 'resync',
        dropped,
        reason: `this subscriber fell behind and ${dropped} messages were not sent: reload the entries over REST`,
      }),
    );
    return true;
  }
}

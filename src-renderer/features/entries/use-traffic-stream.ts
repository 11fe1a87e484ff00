/**
 * Feeds the traffic store for the open session: the history in pages of summaries (no bodies), then the
 * live stream. Stream messages are queued and applied once per animation frame, so a burst of thousands
 * of entries costs one store update and one render per frame.
 */
import { useEffect } from 'react';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
import type { RecorderClient, StreamState } from '../../api/recorder-client.js';
import type { EvictionEvent, StreamMessage } from '../../../src-shared/model.js';
import { useSessionsStore } from '../../stores/sessions-store.js';
import { useStorageStore } from '../../stores/storage-store.js';
import { useTrafficStore } from '../../stores/traffic-store.js';

const PAGE_SIZE = 1000;

function nextFrame(callback: () => void): () => void {
  // rAF pauses in hidden tabs; a timeout keeps the queue from growing without bound there.
  let done = false;
  const run = () => {
    if (done) return;
    done = true;
    callback();
  };
  const frame = requestAnimationFrame(run);
  const timer = setTimeout(run, 250);
  return () => {
    done = true;
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  };
}

/** Stream messages, queued and handed to `apply` once per animation frame, and only while the history is in. */
function createFrameQueue(apply: (batch: StreamMessage[]) => void) {
  let queue: StreamMessage[] = [];
  let cancelFrame: (() => void) | null = null;
  let ready = false;
  let stopped = false;
  const flush = () => {
    cancelFrame = null;
    if (stopped || !ready || queue.length === 0) return;
    const batch = queue;
    queue = [];
    apply(batch);
  };
  const schedule = () => {
    cancelFrame ??= nextFrame(flush);
  };
  return {
    push(messages: StreamMessage[]) {
      for (const m of messages) queue.push(m);
      schedule();
    },
    clear() {
      queue = [];
    },
    /** Held back while the history loads: a page must not land after the live rows it precedes. */
    setReady(value: boolean) {
      ready = value;
      if (ready) schedule();
    },
    stop() {
      stopped = true;
      cancelFrame?.();
    },
  };
}

function applyBatch(batch: StreamMessage[], sessionId: string): void {
  const evictions: EvictionEvent[] = [];
  for (const message of batch) {
    if (message.type === 'session') useSessionsStore.getState().upsert(message.session);
    else if (message.type === 'evicted') evictions.push(message.eviction);
  }
  // One store update per frame however many eviction messages came: the notice sums them.
  if (evictions.length > 0) useStorageStore.getState().evicted(evictions, sessionId);
  useTrafficStore.getState().applyMessages(batch);
}

/** The history in pages of summaries; stops adding once `current()` says a newer load (or none) is wanted. */
async function loadHistory(client: RecorderClient, sessionId: string, current: () => boolean, cancelled: () => boolean): Promise<void> {
  useTrafficStore.getState().setLoading(true);
  try {
    let offset = 0;
    for (;;) {
      const page = await client.listEntries({ id: sessionId, offset, limit: PAGE_SIZE, bodies: false });
      if (!current()) return;
      useTrafficStore.getState().addEntries(page.entries);
      offset += page.entries.length;
      if (page.entries.length === 0 || offset >= page.total) break;
    }
    useTrafficStore.getState().setLoading(false);
  } catch (error) {
    if (!cancelled()) useTrafficStore.getState().setLoading(false, describeError(error));
  }
}

/** History, then the live stream, of one session; reloads the history after the stream was down. Returns stop. */
function startTrafficFeed(client: RecorderClient, sessionId: string): () => void {
  let cancelled = false;
  let generation = 0;
  let wasClosed = false;
  const queue = createFrameQueue((batch) => applyBatch(batch, sessionId));

  const load = async () => {
    const mine = ++generation;
    queue.setReady(false);
    const current = () => !cancelled && mine === generation;
    await loadHistory(client, sessionId, current, () => cancelled);
    if (current()) queue.setReady(true);
  };

  const onState = (state: StreamState, detail?: string) => {
    if (cancelled) return;
    useTrafficStore.getState().setStreamStatus(state, detail);
    if (state === 'closed') wasClosed = true;
    if (state === 'open' && wasClosed) {
      // Whatever happened while the stream was down is only in the history: reload it.
      wasClosed = false;
      queue.clear();
      useTrafficStore.getState().reset(sessionId);
      void load();
    }
  };

  const unsubscribe = client.subscribe(sessionId, (messages) => queue.push(messages), { onState });
  void load();
  return () => {
    cancelled = true;
    queue.stop();
    unsubscribe();
  };
}

export function useTrafficStream(sessionId: string | null): void {
  const client = useClient();
  useEffect(() => {
    const traffic = useTrafficStore.getState();
    traffic.reset(sessionId);
    if (!sessionId) {
      traffic.setStreamStatus('idle');
      return;
    }
    return startTrafficFeed(client, sessionId);
  }, [client, sessionId]);
}

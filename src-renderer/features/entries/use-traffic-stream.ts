/**
 * Feeds the traffic store for the open session: the history in pages of summaries (no bodies), then the
 * live stream. Stream messages are queued and applied once per animation frame, so a burst of thousands
 * of entries costs one store update and one render per frame.
 */
import { useEffect } from 'react';
import { useClient } from '../../api/client-context.js';
import { describeError } from '../../api/recorder-client.js';
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

export function useTrafficStream(sessionId: string | null): void {
  const client = useClient();
  useEffect(() => {
    const traffic = useTrafficStore.getState();
    traffic.reset(sessionId);
    if (!sessionId) {
      traffic.setStreamStatus('idle');
      return;
    }
    let cancelled = false;
    let loaded = false;
    let loadGeneration = 0;
    let queue: StreamMessage[] = [];
    let cancelFrame: (() => void) | null = null;
    let wasClosed = false;

    const flush = () => {
      cancelFrame = null;
      if (cancelled || !loaded || queue.length === 0) return;
      const batch = queue;
      queue = [];
      const evictions: EvictionEvent[] = [];
      for (const message of batch) {
        if (message.type === 'session') useSessionsStore.getState().upsert(message.session);
        else if (message.type === 'evicted') evictions.push(message.eviction);
      }
      // One store update per frame however many eviction messages came: the notice sums them.
      if (evictions.length > 0) useStorageStore.getState().evicted(evictions, sessionId);
      useTrafficStore.getState().applyMessages(batch);
    };
    const schedule = () => {
      cancelFrame ??= nextFrame(flush);
    };

    const load = async () => {
      const generation = ++loadGeneration;
      loaded = false;
      const store = useTrafficStore.getState();
      store.setLoading(true);
      try {
        let offset = 0;
        for (;;) {
          const page = await client.listEntries({ id: sessionId, offset, limit: PAGE_SIZE, bodies: false });
          if (cancelled || generation !== loadGeneration) return;
          useTrafficStore.getState().addEntries(page.entries);
          offset += page.entries.length;
          if (page.entries.length === 0 || offset >= page.total) break;
        }
        useTrafficStore.getState().setLoading(false);
      } catch (error) {
        if (!cancelled) useTrafficStore.getState().setLoading(false, describeError(error));
      } finally {
        if (!cancelled && generation === loadGeneration) {
          loaded = true;
          schedule();
        }
      }
    };

    const unsubscribe = client.subscribe(
      sessionId,
      (messages) => {
        for (const m of messages) queue.push(m);
        schedule();
      },
      {
        onState: (state, detail) => {
          if (cancelled) return;
          useTrafficStore.getState().setStreamStatus(state, detail);
          if (state === 'closed') wasClosed = true;
          if (state === 'open' && wasClosed) {
            // Whatever happened while the stream was down is only in the history: reload it.
            wasClosed = false;
            queue = [];
            useTrafficStore.getState().reset(sessionId);
            void load();
          }
        },
      },
    );
    void load();

    return () => {
      cancelled = true;
      cancelFrame?.();
      unsubscribe();
    };
  }, [client, sessionId]);
}

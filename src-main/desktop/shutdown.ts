/**
 * Quit waits for the engine: the first `before-quit` is held back until every session is stopped and the store
 * is flushed, then quit goes through. SIGTERM/SIGINT take the same road.
 */
import type { App } from 'electron';

export interface ShutdownOptions {
  app: Pick<App, 'on' | 'quit'>;
  stop: () => Promise<void>;
  proc?: Pick<NodeJS.Process, 'on'>;
}

export function installGracefulShutdown({ app, stop, proc = process }: ShutdownOptions): void {
  let state: 'running' | 'stopping' | 'done' = 'running';
  app.on('before-quit', (event) => {
    if (state === 'done') return;
    event.preventDefault();
    if (state === 'stopping') return;
    state = 'stopping';
    stop()
      .catch((e: unknown) => console.error('shutdown: the engine did not close cleanly:', e))
      .finally(() => {
        state = 'done';
        app.quit();
      });
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) proc.on(signal, () => app.quit());
}

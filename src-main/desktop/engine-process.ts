/**
 * Entry of the engine utility process (`utilityProcess.fork`). Runs the engine under Electron's Node, apart
 * from the main process: see docs/desktop.md for why.
 */
import type {} from 'electron';
import { engineConfigFromArgs } from './engine-config-file.js';
import { DATA_DIR_FLAG, type PortLike } from './engine-protocol.js';
import { runEngine } from './engine-runtime.js';

const parentPort = process.parentPort;
const dataDir = process.argv.find((arg) => arg.startsWith(DATA_DIR_FLAG))?.slice(DATA_DIR_FLAG.length);

if (parentPort && dataDir) {
  const port: PortLike = {
    postMessage: (message) => parentPort.postMessage(message),
    onMessage: (listener) => {
      const handler = (event: Electron.MessageEvent) => listener(event.data);
      parentPort.on('message', handler);
      return () => parentPort.off('message', handler);
    },
  };
  try {
    // The main process read engine-config.json (and said so if it was invalid): this is its result.
    const runtime = await runEngine(port, { ...engineConfigFromArgs(process.argv), dataDir });
    // Ctrl+C in a terminal signals the whole process group: close as gracefully as a requested shutdown.
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void runtime.close().finally(() => process.exit(0));
      });
    }
  } catch (e) {
    console.error('traffic recorder engine: failed to start:', e);
    process.exit(1);
  }
}

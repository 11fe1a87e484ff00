/** A worker_threads MessagePort as the engine link's PortLike (what utilityProcess and parentPort give in the app). */
import type { MessagePort } from 'node:worker_threads';
import type { PortLike } from '../engine-protocol.js';

export function portOf(port: MessagePort): PortLike {
  return {
    postMessage: (m) => port.postMessage(m),
    onMessage: (listener) => {
      port.on('message', listener);
      return () => port.off('message', listener);
    },
  };
}

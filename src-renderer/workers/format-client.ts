/** Formats on the main thread when cheap, in a lazily started worker when the body is large. */
import { prettyPrint } from './pretty-print.js';
import type { BodyLanguage } from './pretty-print.js';

const WORKER_THRESHOLD = 64 * 1024;
let worker: Worker | null = null;
let nextId = 0;
const pending = new Map<number, (text: string) => void>();

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(new URL('./format-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<{ id: number; text: string }>) => {
      pending.get(event.data.id)?.(event.data.text);
      pending.delete(event.data.id);
    };
  }
  return worker;
}

export function formatBody(text: string, language: BodyLanguage): Promise<string> {
  if (language === 'plaintext' || language === 'javascript' || language === 'css') return Promise.resolve(text);
  if (text.length < WORKER_THRESHOLD) return Promise.resolve(prettyPrint(text, language));
  return new Promise((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    getWorker().postMessage({ id, text, language });
  });
}

/**
 * A proxy worker process (forked by the pool through node:cluster, so every worker's listen on a session port
 * shares one socket). It runs ProxySessions exactly as the engine would in process, and sends finished entries
 * back in batches; storage, limits and the API stay in the engine.
 */
import { CertificateAuthority } from '../ca/index.js';
import type { CapturedEntry } from '../capture/entries.js';
import { loopbackOnly } from '../proxy/upstream-policy.js';
import { interceptionOptions } from '../sessions/mitm.js';
import type { ProxySession } from '../sessions/proxy-session.js';
import { startCapturingProxy, type RunnerOptions } from '../sessions/session-runner.js';
import { ephemeralTlsMaterial } from '../sessions/tls-material.js';
import { WORKER_SETTINGS_ENV, type FromWorker, type ToWorker, type WorkerSettings } from './pool-protocol.js';

const FLUSH_MS = 20;
const MAX_BATCH = 128;

const settings = JSON.parse(process.env[WORKER_SETTINGS_ENV] ?? '{}') as WorkerSettings;
const send = (message: FromWorker) => process.send?.(message);

let ca: Promise<CertificateAuthority> | undefined;
const options: RunnerOptions = {
  bodyLimit: settings.bodyLimit,
  upstreamTimeoutMs: settings.upstreamTimeoutMs,
  tlsMaterial: ephemeralTlsMaterial,
  // The engine created the CA before asking for an intercepting session: load it from the data dir.
  mitmHttps: async (mitm) => {
    ca ??= CertificateAuthority.loadOrCreate(settings.dataDir);
    return interceptionOptions(await ca, mitm);
  },
  ...(settings.loopbackOnly ? { upstreamPolicy: loopbackOnly } : {}),
};

const proxies = new Map<string, ProxySession>();
const queues = new Map<string, CapturedEntry[]>();
let timer: NodeJS.Timeout | undefined;

function flush(sessionId?: string): void {
  if (timer && sessionId === undefined) {
    clearTimeout(timer);
    timer = undefined;
  }
  for (const [id, items] of queues) {
    if (sessionId !== undefined && id !== sessionId) continue;
    queues.delete(id);
    if (items.length) send({ type: 'entries', sessionId: id, items });
  }
}

function enqueue(sessionId: string, captured: CapturedEntry): void {
  let queue = queues.get(sessionId);
  if (!queue) queues.set(sessionId, (queue = []));
  queue.push(captured);
  if (queue.length >= MAX_BATCH) flush(sessionId);
  else timer ??= setTimeout(() => flush(), FLUSH_MS);
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'start') {
    const { session } = message;
    startCapturingProxy(session, options, (captured) => enqueue(session.id, captured)).then(
      (proxy) => {
        proxies.set(session.id, proxy);
        send({ type: 'started', sessionId: session.id });
      },
      (e: NodeJS.ErrnoException) => send({ type: 'start-failed', sessionId: session.id, code: e.code, message: e.message }),
    );
  } else if (message.type === 'stop') {
    const proxy = proxies.get(message.sessionId);
    proxies.delete(message.sessionId);
    void (proxy ? proxy.stop() : Promise.resolve()).finally(() => {
      flush(message.sessionId);
      send({ type: 'stopped', sessionId: message.sessionId });
    });
  }
});

// The engine going away takes its workers along.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });

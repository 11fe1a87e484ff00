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
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { bodyFilePath } from '../store/body-files.js';
import { DIR_MODE, unlinkIfPresent, writeFileUnsynced } from '../store/fs-util.js';
import { DEFAULT_INLINE_BODY_LIMIT, bodyLength, isWrittenBody, type BodySide, type EntryBodies } from '../store/store-types.js';

// Short: entries from several workers should reach the engine close to the order they finished in.
const FLUSH_MS = 5;
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
  ...(settings.connectionLimits ? { connectionLimits: settings.connectionLimits } : {}),
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

const knownDirs = new Set<string>();

/**
 * Large bodies are written to the store's own files here, so only entry metadata crosses to the engine:
 * pushing every 100 KB body through IPC made the engine the bottleneck.
 */
async function writeLargeBodies(sessionId: string, captured: CapturedEntry): Promise<CapturedEntry> {
  const bodies: EntryBodies = { ...captured.bodies };
  for (const side of ['request', 'response'] as BodySide[]) {
    const body = bodies[side];
    if (!body || isWrittenBody(body)) continue;
    const length = bodyLength(body);
    if (length <= (settings.inlineBodyLimit ?? DEFAULT_INLINE_BODY_LIMIT)) continue;
    const file = bodyFilePath(settings.dataDir, sessionId, captured.entry.id, side);
    const dir = path.dirname(file);
    if (!knownDirs.has(dir)) {
      await fsp.mkdir(dir, { recursive: true, mode: DIR_MODE });
      knownDirs.add(dir);
    }
    try {
      await writeFileUnsynced(file, body);
    } catch (error) {
      // A half-written file (full disk) must not stay behind: the engine's store owns these bytes now.
      await unlinkIfPresent(file).catch(() => undefined);
      throw error;
    }
    bodies[side] = { written: length };
  }
  return { entry: captured.entry, bodies };
}

function capture(sessionId: string, captured: CapturedEntry): void {
  const { request, response } = captured.bodies;
  const large = (b: EntryBodies['request']) => b !== undefined && !isWrittenBody(b) && bodyLength(b) > (settings.inlineBodyLimit ?? DEFAULT_INLINE_BODY_LIMIT);
  if (!large(request) && !large(response)) return enqueue(sessionId, captured);
  pendingWrites++;
  writeLargeBodies(sessionId, captured)
    .then(
      (written) => enqueue(sessionId, written),
      // Keep the entry even when its body file could not be written: the bytes travel with it instead.
      () => enqueue(sessionId, captured),
    )
    .finally(() => {
      if (--pendingWrites === 0) for (const resolve of drained.splice(0)) resolve();
    });
}

let pendingWrites = 0;
const drained: Array<() => void> = [];
const bodyWritesDone = () => (pendingWrites === 0 ? Promise.resolve() : new Promise<void>((resolve) => drained.push(resolve)));

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
    startCapturingProxy(session, options, (captured) => capture(session.id, captured), message.mocks).then(
      (proxy) => {
        proxies.set(session.id, proxy);
        send({ type: 'started', sessionId: session.id });
      },
      (e: NodeJS.ErrnoException) => send({ type: 'start-failed', sessionId: session.id, code: e.code, message: e.message }),
    );
  } else if (message.type === 'toxics') {
    proxies.get(message.sessionId)?.replaceToxics(message.toxics);
    send({ type: 'toxics-replaced', sessionId: message.sessionId });
  } else if (message.type === 'modifications') {
    proxies.get(message.sessionId)?.replaceModifications(message.modifications);
    send({ type: 'modifications-replaced', sessionId: message.sessionId });
  } else if (message.type === 'mocks') {
    proxies.get(message.sessionId)?.replaceMocks(message.mocks);
    send({ type: 'mocks-replaced', sessionId: message.sessionId });
  } else if (message.type === 'stop') {
    const proxy = proxies.get(message.sessionId);
    proxies.delete(message.sessionId);
    void (proxy ? proxy.stop() : Promise.resolve())
      .then(bodyWritesDone)
      .finally(() => {
      flush(message.sessionId);
      send({ type: 'stopped', sessionId: message.sessionId });
    });
  }
});

// The engine going away takes its workers along.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });

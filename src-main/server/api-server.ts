/**
 * The headless server: the REST adapter over the operation table under /api/v1/recorder (one route per row, the
 * stream row as a WebSocket), and the built renderer at /ui/recorder. All behaviour lives in the engine.
 */
import type { FastifyInstance } from 'fastify';
import type { Recorder } from '../engine/sessions/recorder.js';
import { engineOperations } from '../engine/engine-operations.js';
import type { MachineServices } from '../engine/machine/machine-services.js';
import { createApiApp, type ApiAppOptions, type ApiGuard } from './api-app.js';
import { registerOperationRoutes } from './operation-routes.js';
import { buildHostPolicy } from './request-guard.js';
import { registerUi } from './static-ui.js';
import { registerStreamRoute } from './stream-route.js';
import { DEFAULT_STREAM_BACKPRESSURE, type StreamBackpressureOptions, type StreamSubscriberStats } from './stream-subscriber.js';
import { trackUpgrades } from './upgrade-tracking.js';

export interface ApiServerOptions extends ApiAppOptions {
  recorder: Recorder;
  /** CA, trust store and system proxy operations; without it those routes answer not_supported. */
  machine?: MachineServices;
  token: string;
  host?: string;
  port?: number;
  /** Extra Host header names to accept (e.g. when served behind a reverse proxy under another name). */
  allowedHosts?: string[];
  /** Folder of the built renderer; when absent the UI route explains how to build it. */
  uiDir?: string;
  /** Back-pressure bounds of stream subscribers (defaults: DEFAULT_STREAM_BACKPRESSURE). */
  stream?: Partial<StreamBackpressureOptions>;
}

export interface ApiServer {
  app: FastifyInstance;
  url: string;
  port: number;
  /** Back-pressure state of every open stream subscriber, for diagnostics and tests. */
  streamSubscribers(): StreamSubscriberStats[];
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const host = options.host ?? '127.0.0.1';
  const guard: ApiGuard = { token: options.token, policy: buildHostPolicy(host, options.port ?? 0, options.allowedHosts) };
  const app = await createApiApp(options, guard);
  const engine = engineOperations(options.recorder, options.machine);
  app.get('/api/v1/health', () => ({ status: 'ok' }));
  registerOperationRoutes(app, engine);
  const subscribers = registerStreamRoute(app, engine, { ...DEFAULT_STREAM_BACKPRESSURE, ...options.stream });
  registerUi(app, options.uiDir);
  trackUpgrades(app);

  await app.listen({ host, port: options.port ?? 5770 });
  const port = (app.server.address() as { port: number }).port;
  guard.policy = buildHostPolicy(host, port, options.allowedHosts);
  const displayHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    app,
    url: `http://${displayHost}:${port}`,
    port,
    streamSubscribers: () => [...subscribers].map((s) => s.stats()),
    close: () => app.close(),
  };
}

/** Boot the engine and the REST/WS server in one process: what `traffic-recorder serve` and `npm start` run. */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineConfig, EngineConfigInput } from '../../src-shared/engine-config.js';
import type { Recorder } from '../engine/sessions/recorder.js';
import type { CertificateAuthority } from '../engine/ca/index.js';
import { openEngine, prepareDataDir } from '../engine/engine-boot.js';
import { defaultDataDir } from '../engine/data-dir.js';
import { startApiServer, type ApiServer } from './api-server.js';
import { startLoopStatsFromEnv } from './loop-stats.js';
import { MachineServices } from '../engine/machine/machine-services.js';
import { checkToken, readTokenFile } from './api-token.js';

/**
 * The REST server's own options, beside the engine's configuration (EngineConfigInput: limits, proxy workers...,
 * declared once in src-shared/engine-config.ts).
 */
export interface HeadlessOptions extends EngineConfigInput {
  host?: string;
  port?: number;
  dataDir?: string;
  token?: string;
  /** Read the token from this file (safer than `token` on a command line, which `ps` shows). */
  tokenFile?: string;
  allowedHosts?: string[];
}

export interface Headless {
  server: ApiServer;
  machine: MachineServices;
  recorder: Recorder;
  /** The install CA (created on first call). */
  certificateAuthority: () => Promise<CertificateAuthority>;
  token: string;
  dataDir: string;
  uiUrl: string;
  /** The engine's configuration, every default applied, and the worker processes it started on this machine. */
  config: EngineConfig;
  proxyWorkers: number;
  close(): Promise<void>;
}

/** The package root, found from this file whether it runs compiled (dist/...) or as source under vitest. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

/** The API token: given, from a file, from the environment, or generated once and kept (0600) in the data dir. */
export function resolveToken(dataDir: string, given?: string, tokenFile?: string): string {
  if (given) return checkToken(given, '--token');
  if (tokenFile) return readTokenFile(tokenFile);
  if (process.env.TRAFFIC_RECORDER_TOKEN) return checkToken(process.env.TRAFFIC_RECORDER_TOKEN, 'TRAFFIC_RECORDER_TOKEN');
  const file = path.join(dataDir, 'api-token');
  try {
    const stored = fs.readFileSync(file, 'utf8').trim();
    if (stored) {
      if (process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
      return stored;
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const token = randomBytes(24).toString('hex');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** A taken or forbidden API port in words, with the way out, instead of `listen EADDRINUSE 127.0.0.1:5770`. */
export function explainListenError(e: unknown, host: string, port: number): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new Error(`port ${port} is already in use (${where}): another Traffic Recorder or another program listens there; pick another port with --port N (--port 0 = any free port)`);
  }
  if (code === 'EACCES') return new Error(`not allowed to listen on ${where} (ports below 1024 need privileges): pick another port with --port N`);
  if (code === 'EADDRNOTAVAIL') return new Error(`cannot listen on ${where}: ${host} is not an address of this machine (--host)`);
  return e;
}

export async function startHeadless(options: HeadlessOptions = {}): Promise<Headless> {
  const { host = '127.0.0.1', port = 5770, dataDir: givenDir, token: givenToken, tokenFile, allowedHosts, ...config } = options;
  const dataDir = path.resolve(givenDir || defaultDataDir());
  prepareDataDir(dataDir);
  const token = resolveToken(dataDir, givenToken, tokenFile);
  const engine = await openEngine({ ...config, dataDir });
  const { recorder, certificateAuthority } = engine;
  const machine = new MachineServices(dataDir, recorder, certificateAuthority);
  // A system proxy we set and never restored (crash, kill -9) is put back before anything else.
  await machine.recoverSystemProxy().then(
    (restored) => restored && console.warn('Traffic Recorder: restored the system proxy settings left by an earlier run.'),
    (e: unknown) => console.warn(`Traffic Recorder: could not restore the system proxy settings: ${(e as Error).message}`),
  );
  let server: ApiServer;
  try {
    server = await startApiServer({
      recorder,
      machine,
      token,
      host,
      port,
      allowedHosts,
      uiDir: path.join(packageRoot(), 'dist', 'renderer'),
    });
  } catch (e) {
    await engine.close();
    throw explainListenError(e, host, port);
  }
  startLoopStatsFromEnv(); // the store benchmark's event-loop probe; a no-op unless TRAFFIC_RECORDER_LOOP_STATS is set
  let closing: Promise<void> | undefined;
  return {
    server,
    machine,
    recorder,
    certificateAuthority,
    token,
    dataDir,
    uiUrl: `${server.url}/ui/recorder/#token=${token}`,
    config: engine.config,
    proxyWorkers: engine.proxyWorkers,
    close: () =>
      (closing ??= (async () => {
        await server.close();
        await machine.close();
        // Quitting restores the system proxy we pointed at a session: its proxy is about to stop.
        await machine.recoverSystemProxy().catch((e: unknown) => console.warn(`could not restore the system proxy: ${(e as Error).message}`));
        await engine.close();
      })()),
  };
}

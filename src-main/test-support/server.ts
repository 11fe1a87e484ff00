import fs from 'node:fs/promises';
import { afterAll, beforeAll } from 'vitest';
import { startHeadless, type Headless } from '../server/headless.js';
import type { RecorderLimits } from '../engine/sessions/limits.js';
import { tempDir } from './engine.js';
import { startUpstream, type Upstream } from './upstream.js';

export const TEST_TOKEN = 'test-token-0123456789';

export interface TestServer {
  headless: Headless;
  base: string;
  api: string;
  /** fetch against the API with the token (unless headers say otherwise). */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; json: any; text: string }>;
  close(): Promise<void>;
}

export async function startTestServer(options: { limits?: Partial<RecorderLimits>; dataDir?: string } = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await tempDir('tr-server-'));
  // Proxies in process whatever the machine (the default, auto, starts workers on 4+ cores): pending rows need it.
  const headless = await startHeadless({ port: 0, dataDir, token: TEST_TOKEN, limits: options.limits, proxyWorkers: 0 });
  const base = headless.server.url;
  const api = `${base}/api/v1/recorder`;
  return {
    headless,
    base,
    api,
    call: (method, path, body, headers = {}) => apiCall(api, TEST_TOKEN, method, path, body, headers),
    async close() {
      await headless.close();
      if (!options.dataDir) await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A test server and a local upstream shared by every test of the file: started before the first, closed after the
 * last. Read them through the returned object (they exist once the hooks ran).
 */
export function serverWithUpstream<U extends { close(): Promise<void> } = Upstream>(
  options: Parameters<typeof startTestServer>[0] = {},
  start: () => Promise<U> = startUpstream as unknown as () => Promise<U>,
): { readonly server: TestServer; readonly upstream: U } {
  const env = {} as { server: TestServer; upstream: U };
  beforeAll(async () => {
    env.server = await startTestServer(options);
    env.upstream = await start();
  });
  afterAll(async () => {
    await env.server?.close();
    await env.upstream?.close();
  });
  return env;
}

/** One API call with the token: the status, the body as text and, when it parses, as JSON. */
export async function apiCall(
  base: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

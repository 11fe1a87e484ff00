/**
 * The benchmark's processes: the nginx upstream (or a Node fallback), the bare Node pipe proxy, our recording
 * server (the real CLI as a child process) and mitmdump. Everything listens on 127.0.0.1 only.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, makeTempDir, sleep, startChild, waitForOutput, which, type Child } from './lib-procs.js';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export const FILES = { '1k': { path: '/1k.bin', bytes: 1024 }, '100k': { path: '/100k.bin', bytes: 100 * 1024 } } as const;
export type SizeKey = keyof typeof FILES;

export const INSTALL_HINT = 'apt-get install -y nginx wrk mitmproxy';

export interface Upstream {
  kind: 'nginx' | 'node';
  port: number;
  child: Child;
}

/** GET `url` until it answers `expectStatus` (default 200), or fail after `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs: number, child?: Child, expectStatus = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (child?.hasExited()) throw new Error(`${child.name} exited before it answered ${url}:\n${child.output().slice(-2000)}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === expectStatus) return;
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer ${expectStatus} within ${timeoutMs} ms (last: ${last})`);
    await sleep(100);
  }
}

function tsxChild(name: string, script: string, args: string[]): Child {
  return startChild(name, process.execPath, ['--import', 'tsx', join(projectRoot, 'bench', script), ...args], {
    cwd: projectRoot,
  });
}

/** The shared part of our nginx configs: one worker, keep-alive for benchmarks, all paths inside `dir`. */
export function nginxHttpPrologue(dir: string, defaultType = 'application/octet-stream'): string {
  const t = join(dir, 'tmp');
  return `worker_processes 1;
daemon off;
master_process on;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  default_type ${defaultType};
  client_body_temp_path ${t}/body;
  proxy_temp_path ${t}/proxy;
  fastcgi_temp_path ${t}/fastcgi;
  uwsgi_temp_path ${t}/uwsgi;
  scgi_temp_path ${t}/scgi;`;
}

/** A temporary nginx prefix with the benchmark's files in `www/` and a `tmp/` for its temp paths. */
function nginxWorkDir(prefix: string): string {
  const dir = makeTempDir(prefix);
  const www = join(dir, 'www');
  mkdirSync(www);
  mkdirSync(join(dir, 'tmp'));
  writeFileSync(join(www, '1k.bin'), Buffer.alloc(FILES['1k'].bytes, 'a'));
  writeFileSync(join(www, '100k.bin'), Buffer.alloc(FILES['100k'].bytes, 'b'));
  // Workers may drop to an unprivileged user when nginx starts as root: let them read the files.
  for (const p of [dir, www]) chmodSync(p, 0o755);
  return dir;
}

export async function startNginx(): Promise<Upstream> {
  const nginx = which('nginx');
  if (!nginx) throw new Error('nginx is not installed');
  const dir = nginxWorkDir('bench-nginx-');
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${nginxHttpPrologue(dir)}
  server {
    listen 127.0.0.1:${port};
    root ${join(dir, 'www')};
  }
}
`,
  );
  const child = startChild('nginx', nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')]);
  await waitForHttp(`http://127.0.0.1:${port}${FILES['1k'].path}`, 10_000, child);
  return { kind: 'nginx', port, child };
}

export async function startNodeUpstream(): Promise<Upstream> {
  const child = tsxChild('node upstream', 'proxy-upstream.ts', []);
  const m = await waitForOutput(child, /listening (\d+)/, 20_000);
  const port = Number(m[1]);
  await waitForHttp(`http://127.0.0.1:${port}${FILES['1k'].path}`, 10_000, child);
  return { kind: 'node', port, child };
}

export interface ProxyTarget {
  child: Child;
  baseUrl: string;
}

export async function startPipeProxy(upstreamPort: number): Promise<ProxyTarget> {
  const child = tsxChild('node pipe proxy', 'proxy-pipe.ts', [String(upstreamPort)]);
  const m = await waitForOutput(child, /listening (\d+)/, 20_000);
  const baseUrl = `http://127.0.0.1:${m[1]}`;
  await waitForHttp(`${baseUrl}${FILES['1k'].path}`, 10_000, child);
  return { child, baseUrl };
}

/**
 * `default`: `mitmdump --mode reverse:URL` as the issue names it (it prints a line per flow; stdout goes to
 * /dev/null so the bench process pays nothing for it). `quiet`: `-q --set flow_detail=0`, mitmdump's fastest
 * setting, reported as a stricter, informational reference.
 */
export async function startMitmdump(upstreamPort: number, variant: 'default' | 'quiet' = 'default'): Promise<ProxyTarget> {
  const mitmdump = which('mitmdump');
  if (!mitmdump) throw new Error('mitmdump is not installed');
  const port = await freePort();
  const confdir = makeTempDir('bench-mitm-');
  const quiet = variant === 'quiet' ? ['-q', '--set', 'flow_detail=0'] : [];
  const child = startChild(
    variant === 'quiet' ? 'mitmdump -q' : 'mitmdump',
    mitmdump,
    ['--mode', `reverse:http://127.0.0.1:${upstreamPort}`, '--listen-host', '127.0.0.1', '-p', String(port), ...quiet, '--set', `confdir=${confdir}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHttp(`${baseUrl}${FILES['1k'].path}`, 30_000, child);
  return { child, baseUrl };
}

export interface OurServer {
  child: Child;
  apiUrl: string;
  token: string;
  dataDir: string;
}

export interface OurSession {
  id: string;
  proxyUrl: string;
  listenPort: number;
}

/** `env` is added to this process's environment for the server (the pipeline row sets its bench-only variable). */
export async function startOurServer(nodeFlags: string[] = [], serveArgs: string[] = [], env: Record<string, string> = {}): Promise<OurServer> {
  const entry = join(projectRoot, 'dist', 'src-main', 'cli', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first (npm run bench does)`);
  const dataDir = makeTempDir('bench-recorder-');
  const token = `bench-${process.pid}-${Date.now()}`;
  const child = startChild(
    'traffic-recorder serve',
    process.execPath,
    [...nodeFlags, join(projectRoot, 'bin', 'traffic-recorder.js'), 'serve', '--port', '0', '--data-dir', dataDir, '--token', token, ...serveArgs],
    { cwd: projectRoot, env: { ...process.env, ...env } },
  );
  const m = await waitForOutput(child, /API listening on (http:\/\/127\.0\.0\.1:\d+)/, 30_000);
  return { child, apiUrl: m[1]!, token, dataDir };
}

export async function api<T>(server: OurServer, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${server.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** A reverse session to the upstream; `config` adds start-config fields (filters, modifications...). */
export async function startReverseSession(server: OurServer, upstreamPort: number, config: Record<string, unknown> = {}): Promise<OurSession> {
  const r = await api<{ session: { id: string; proxyUrl: string; listenPort: number } }>(server, 'POST', '/api/v1/recorder/start', {
    mode: 'reverse',
    targetUrl: `http://127.0.0.1:${upstreamPort}`,
    ...config,
  });
  const session = r.session;
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(session.proxyUrl)) throw new Error(`unexpected proxyUrl ${session.proxyUrl}`);
  await waitForHttp(`${session.proxyUrl}${FILES['1k'].path}`, 10_000, server.child);
  return { id: session.id, proxyUrl: session.proxyUrl, listenPort: session.listenPort };
}

/**
 * 20 scope-filter patterns that every bench request passes (so it is still recorded): each is evaluated on every
 * request, which is the cost the pipeline row measures.
 */
export const BENCH_FILTERS: Record<string, string[]> = {
  excludePaths: Array.from({ length: 10 }, (_, i) => `/never-${i}/*`),
  excludeHosts: Array.from({ length: 10 }, (_, i) => `never-${i}.*.invalid`),
};

/**
 * 20 modification rules that run on every bench exchange: 7 request header rules, 7 response header rules and 6
 * URL rewrites whose regexes are searched in every path (and never match, so the bench files are still found).
 * Body replacements are left out: they apply to text bodies only, and the bench files are application/octet-stream.
 */
export const BENCH_MODIFICATIONS = {
  requestHeaders: Array.from({ length: 7 }, (_, i) => (i % 2 === 0 ? { action: 'add', name: `x-bench-req-${i}`, value: `v${i}` } : { action: 'remove', name: `x-absent-${i}` })),
  responseHeaders: Array.from({ length: 7 }, (_, i) => (i % 2 === 0 ? { action: 'replace', name: `x-bench-res-${i}`, value: `v${i}` } : { action: 'remove', name: `x-absent-${i}` })),
  urlRewrites: Array.from({ length: 6 }, (_, i) => ({ match: `^/never-${i}/(.*)$`, replace: '/elsewhere/$1' })),
};

export interface EntryStats {
  total: number;
  /** Status code counts among the entries the session still holds (at most 1000). */
  statuses: Record<string, number>;
  errors: number;
}

export async function entryStats(server: OurServer, sessionId: string): Promise<EntryStats> {
  const page = await api<{ entries: Array<{ response?: { statusCode: number }; error?: unknown }>; total: number }>(
    server,
    'GET',
    `/api/v1/recorder/${encodeURIComponent(sessionId)}/entries?limit=1000&bodies=false`,
  );
  const statuses: Record<string, number> = {};
  let errors = 0;
  for (const e of page.entries) {
    const key = e.response ? String(e.response.statusCode) : 'none';
    statuses[key] = (statuses[key] ?? 0) + 1;
    if (e.error) errors++;
  }
  return { total: page.total, statuses, errors };
}

export interface LoadResult {
  requests: number;
  ok: number;
  non2xx: number;
  socketErrors: number;
  statuses: Record<string, number>;
  errorSamples: string[];
  seconds: number;
  rps: number;
}

/** Exactly `requests` GETs over `connections` keep-alive connections, from a separate child process. */
export async function boundedLoad(url: string, requests: number, connections = 50): Promise<LoadResult> {
  const child = tsxChild(`load ${requests}`, 'proxy-load.ts', [url, String(requests), String(connections)]);
  const code = await child.exited;
  const line = child.output().trim().split('\n').reverse().find((l) => l.startsWith('{'));
  if (code !== 0 || !line) throw new Error(`load child failed (exit ${code}):\n${child.output().slice(-2000)}`);
  return JSON.parse(line) as LoadResult;
}

// ---- HTTPS (bench/https-bench.ts) ----

export interface TlsUpstream {
  kind: 'nginx';
  port: number;
  /** Addresses nginx listens on, all inside 127.0.0.0/8 (127.0.0.1 first). */
  hosts: string[];
  /** PEM of nginx's self-signed certificate (CN=localhost, SAN DNS:localhost, IP:127.0.0.1). */
  certPem: string;
  /** Plain-HTTP stub_status endpoint on 127.0.0.1 (accepted connections = TLS handshakes done by nginx). */
  statusUrl: string;
  child: Child;
}

/**
 * nginx with a TLS server block on `port` at 127.0.0.1 and at every address in `extraHosts` (loopback only, one
 * `listen ADDR:PORT ssl` line each), a self-signed EC P-256 certificate made by openssl, and the same 1 KB / 100 KB
 * files as startNginx.
 */
export async function startNginxTls(extraHosts: string[] = []): Promise<TlsUpstream> {
  const nginx = which('nginx');
  if (!nginx) throw new Error('nginx is not installed');
  for (const h of extraHosts) {
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)) throw new Error(`refusing a non-loopback listen address: ${h}`);
  }
  const dir = nginxWorkDir('bench-nginx-tls-');
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', keyFile, '-out', certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  chmodSync(keyFile, 0o644); // nginx workers may run unprivileged; the key is a throwaway for this run
  const port = await freePort();
  const statusPort = await freePort();
  const hosts = ['127.0.0.1', ...extraHosts];
  writeFileSync(
    join(dir, 'nginx.conf'),
    `${nginxHttpPrologue(dir)}
  server {
${hosts.map((h) => `    listen ${h}:${port} ssl;`).join('\n')}
    ssl_certificate ${certFile};
    ssl_certificate_key ${keyFile};
    root ${join(dir, 'www')};
  }
  server {
    listen 127.0.0.1:${statusPort};
    location = /status { stub_status; }
  }
}
`,
  );
  const child = startChild('nginx tls', nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')]);
  const statusUrl = `http://127.0.0.1:${statusPort}/status`;
  await waitForHttp(statusUrl, 10_000, child);
  return { kind: 'nginx', port, hosts, certPem: readFileSync(certFile, 'utf8'), statusUrl, child };
}

/** nginx stub_status: connections accepted so far (including this call's) and requests served so far. */
export async function nginxStatus(statusUrl: string): Promise<{ accepted: number; requests: number }> {
  // A fresh connection per call (no keep-alive), so each call adds exactly one to `accepted`.
  const text = await new Promise<string>((resolve, reject) => {
    const req = httpGet(statusUrl, { agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('stub_status timed out')));
    req.on('error', reject);
  });
  const m = /server accepts handled requests\s+(\d+)\s+(\d+)\s+(\d+)/.exec(text);
  if (!m) throw new Error(`unexpected stub_status answer: ${text}`);
  return { accepted: Number(m[1]), requests: Number(m[3]) };
}

export interface OurCa {
  certPath: string;
  keyPath: string;
  certPem: string;
  keyPem: string;
}

/** POST /ca/generate (idempotent: an existing CA is kept) and read the files from the data dir. */
export async function generateCa(server: OurServer): Promise<OurCa> {
  await api(server, 'POST', '/api/v1/recorder/ca/generate');
  const certPath = join(server.dataDir, 'ca', 'ca-cert.pem');
  const keyPath = join(server.dataDir, 'ca', 'ca-key.pem');
  return { certPath, keyPath, certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}

/** An intercepting forward session (CONNECT is decrypted with leaves from our CA; self-signed upstreams accepted). */
export async function startForwardMitmSession(server: OurServer): Promise<OurSession> {
  const r = await api<{ session: { id: string; proxyUrl: string; listenPort: number } }>(server, 'POST', '/api/v1/recorder/start', {
    mode: 'forward',
    mitm: { enabled: true },
    ignoreUpstreamCertErrors: true,
  });
  const session = r.session;
  if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(session.proxyUrl)) throw new Error(`unexpected proxyUrl ${session.proxyUrl}`);
  return { id: session.id, proxyUrl: session.proxyUrl, listenPort: session.listenPort };
}

/**
 * `mitmdump --mode regular` (a forward proxy) that signs its leaves with OUR CA: mitmproxy reads its CA from
 * `<confdir>/mitmproxy-ca.pem`, one PEM holding the private key and the certificate, so that file is our
 * ca-key.pem (PKCS#8 EC P-256) followed by ca-cert.pem. `ssl_insecure` because the upstream is self-signed. stdout
 * (a line per flow) goes to /dev/null. Resolves once the port accepts connections; the caller checks the chain.
 */
export async function startMitmdumpForward(ca: OurCa): Promise<ProxyTarget & { confdir: string }> {
  const mitmdump = which('mitmdump');
  if (!mitmdump) throw new Error('mitmdump is not installed');
  const port = await freePort();
  const confdir = makeTempDir('bench-mitm-ca-');
  writeFileSync(join(confdir, 'mitmproxy-ca.pem'), `${ca.keyPem.trim()}\n${ca.certPem.trim()}\n`, { mode: 0o600 });
  const child = startChild(
    'mitmdump regular',
    mitmdump,
    ['--mode', 'regular', '--listen-host', '127.0.0.1', '-p', String(port), '--set', `confdir=${confdir}`, '--set', 'ssl_insecure=true'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  // A forward proxy answers a plain GET for itself with an error page; any HTTP answer means it is listening.
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.hasExited()) throw new Error(`mitmdump exited before it listened:\n${child.output().slice(-2000)}`);
    try {
      const res = await fetch(`${baseUrl}/`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`mitmdump did not listen on ${baseUrl} within 30 s:\n${child.output().slice(-2000)}`);
      await sleep(100);
    }
  }
  return { child, baseUrl, confdir };
}

/**
 * Bounded load: exactly N GET requests over C keep-alive connections (undici Pool), then a JSON summary on stdout.
 * Usage: node --import tsx bench/proxy-load.ts <url> <requests> [connections=50]
 */
import { Pool } from 'undici';

const [urlArg, countArg, connArg] = process.argv.slice(2);
const url = new URL(urlArg ?? '');
if (!url.hostname.startsWith('127.') && url.hostname !== 'localhost' && url.hostname !== '[::1]') {
  throw new Error(`refusing to load a non-loopback address: ${url.href}`);
}
const total = Number(countArg);
const connections = Number(connArg ?? 50);
if (!Number.isInteger(total) || total <= 0 || !Number.isInteger(connections) || connections <= 0) {
  throw new Error('usage: proxy-load.ts <url> <requests> [connections]');
}

const pool = new Pool(url.origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
const path = url.pathname + url.search;
let issued = 0;
let ok = 0;
let non2xx = 0;
let socketErrors = 0;
const statuses: Record<string, number> = {};
const errorSamples: string[] = [];
const started = performance.now();

async function worker(): Promise<void> {
  while (issued < total) {
    issued++;
    try {
      const res = await pool.request({ path, method: 'GET', headersTimeout: 30_000, bodyTimeout: 30_000 });
      await res.body.dump({ limit: Number.MAX_SAFE_INTEGER });
      statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
      if (res.statusCode >= 200 && res.statusCode < 300) ok++;
      else non2xx++;
    } catch (e) {
      socketErrors++;
      if (errorSamples.length < 5) errorSamples.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    }
  }
}

const deadline = setTimeout(() => {
  process.stderr.write(`load did not finish within 600 s (${ok + non2xx + socketErrors}/${total})\n`);
  process.exit(2);
}, 600_000);
await Promise.all(Array.from({ length: connections }, () => worker()));
clearTimeout(deadline);
const seconds = (performance.now() - started) / 1000;
await pool.close();
process.stdout.write(
  `${JSON.stringify({ requests: total, ok, non2xx, socketErrors, statuses, errorSamples, seconds, rps: total / seconds })}\n`,
);

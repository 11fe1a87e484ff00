// Test-only: shared skip logic and clean child environments for the real Linux integration tests.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export function hasTool(program: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', program], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Null when the test may run, else the reason it is skipped (printed by the caller). */
export function linuxRootSkipReason(tools: string[]): string | null {
  if (process.platform !== 'linux') return `needs Linux (this is ${process.platform})`;
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'needs root';
  const missing = tools.filter((t) => !hasTool(t));
  return missing.length ? `missing tools: ${missing.join(', ')}` : null;
}

/**
 * The parent environment minus anything that would make a client trust other bundles or use a proxy:
 * the test must observe the OS trust store alone and reach loopback directly.
 */
export function cleanClientEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const drop = /^(SSL_CERT_FILE|SSL_CERT_DIR|CURL_CA_BUNDLE|REQUESTS_CA_BUNDLE|NODE_EXTRA_CA_CERTS|GIT_SSL_CAINFO|.*_proxy|.*_PROXY)$/;
  for (const [k, v] of Object.entries(process.env)) if (!drop.test(k)) env[k] = v;
  return { ...env, ...extra };
}

export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

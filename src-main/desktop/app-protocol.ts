/**
 * The `app://` protocol the window loads the renderer from. Vite builds with base `/ui/recorder/`, so the page
 * asks for `/ui/recorder/assets/...`: the protocol maps `app://recorder/ui/recorder/*` onto `dist/renderer/*`,
 * which keeps the build identical to the one the headless server serves. A standard, secure scheme gives the
 * page a real origin (`'self'` in the CSP, module scripts and workers) without file:// and its wide access.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { CustomScheme } from 'electron';
import { CONTENT_SECURITY_POLICY } from './security.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'recorder';
export const APP_BASE_PATH = '/ui/recorder/';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}${APP_BASE_PATH}index.html`;

export const APP_SCHEME_PRIVILEGES: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
};

/** True for a URL of our own renderer (any page or asset under the app base path). */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  // app: is not a "special" scheme to WHATWG URL, so `origin` is "null": compare the parts.
  return (
    parsed.protocol === `${APP_SCHEME}:` &&
    parsed.host === APP_HOST &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.pathname.startsWith(APP_BASE_PATH)
  );
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type AppResolution = { status: 200; file: string } | { status: 404 | 403; reason: string };

/**
 * Map an app URL to a file under `rendererDir`. Paths without an extension are client-side routes and get the
 * app shell; nothing outside `rendererDir` is ever reachable (encoded `..` included).
 */
export function resolveAppUrl(url: string, rendererDir: string): AppResolution {
  if (!isAppUrl(url)) return { status: 403, reason: 'not an app URL' };
  const { pathname } = new URL(url);
  let relative: string;
  try {
    relative = decodeURIComponent(pathname.slice(APP_BASE_PATH.length));
  } catch {
    return { status: 404, reason: 'bad path encoding' };
  }
  if (relative.includes('\0')) return { status: 404, reason: 'bad path' };
  if (relative === '' || path.posix.extname(relative) === '') relative = 'index.html';
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, relative);
  if (file !== root && !file.startsWith(root + path.sep)) return { status: 403, reason: 'outside the renderer folder' };
  return { status: 200, file };
}

/** The `protocol.handle` handler: files with their type, the CSP and nosniff; 404 for anything missing. */
export async function serveAppRequest(request: { url: string }, rendererDir: string): Promise<Response> {
  const resolved = resolveAppUrl(request.url, rendererDir);
  const headers = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-cache',
  };
  if (resolved.status !== 200) {
    return new Response(resolved.reason, { status: resolved.status, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
  }
  try {
    const body = await fs.readFile(resolved.file);
    return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': contentTypeFor(resolved.file) } });
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'EISDIR';
    const text = missing && resolved.file.endsWith('index.html') ? 'The UI is not built: run `npm run build`.' : 'not found';
    return new Response(text, { status: 404, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
  }
}

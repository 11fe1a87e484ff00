/** The app:// protocol: Vite's /ui/recorder/ asset paths map onto dist/renderer, and nothing else is reachable. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/engine.js';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES, isAppUrl, resolveAppUrl, serveAppRequest } from './app-protocol.js';
import { CONTENT_SECURITY_POLICY } from './security.js';
import { isTrustedSenderEvent } from './sender-check.js';

let root: string;
beforeAll(async () => {
  root = await tempDir('tr-renderer-');
  await fs.mkdir(path.join(root, 'renderer', 'assets'), { recursive: true });
  await fs.writeFile(path.join(root, 'renderer', 'index.html'), '<script type="module" src="/ui/recorder/assets/index-abc.js"></script>');
  await fs.writeFile(path.join(root, 'renderer', 'assets', 'index-abc.js'), 'console.log(1)');
  await fs.writeFile(path.join(root, 'secret.txt'), 'no');
});
afterAll(() => fs.rm(root, { recursive: true, force: true }));

describe('app URLs', () => {
  it('recognises only our scheme, host and base path', () => {
    expect(APP_ENTRY_URL).toBe('app://recorder/ui/recorder/index.html');
    expect(isAppUrl(APP_ENTRY_URL)).toBe(true);
    expect(isAppUrl('app://recorder/ui/recorder/assets/x.js')).toBe(true);
    for (const url of ['app://other/ui/recorder/', 'app://recorder/elsewhere', 'http://recorder/ui/recorder/', 'file:///ui/recorder/index.html', 'app://u:p@recorder/ui/recorder/', 'nonsense']) {
      expect(isAppUrl(url)).toBe(false);
    }
    expect(APP_SCHEME_PRIVILEGES.privileges).toMatchObject({ standard: true, secure: true });
  });

  it('maps assets, falls back to the shell for routes, and never leaves the renderer folder', () => {
    const dir = path.join(root, 'renderer');
    expect(resolveAppUrl('app://recorder/ui/recorder/assets/index-abc.js', dir)).toEqual({ status: 200, file: path.join(dir, 'assets', 'index-abc.js') });
    expect(resolveAppUrl('app://recorder/ui/recorder/', dir)).toEqual({ status: 200, file: path.join(dir, 'index.html') });
    expect(resolveAppUrl('app://recorder/ui/recorder/sessions/abc', dir)).toEqual({ status: 200, file: path.join(dir, 'index.html') });
    expect(resolveAppUrl('app://recorder/ui/recorder/%2e%2e/secret.txt', dir).status).toBe(403);
    expect(resolveAppUrl('app://recorder/ui/recorder/..%2fsecret.txt', dir).status).toBe(403);
    expect(resolveAppUrl('app://recorder/ui/recorder/assets/%2e%2e/%2e%2e/secret.txt', dir).status).toBe(403);
    expect(resolveAppUrl('https://example.com/ui/recorder/index.html', dir).status).toBe(403);
  });

  it('serves files with their type, the CSP and nosniff, and 404 for missing ones', async () => {
    const dir = path.join(root, 'renderer');
    const js = await serveAppRequest({ url: 'app://recorder/ui/recorder/assets/index-abc.js' }, dir);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect(js.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await js.text()).toBe('console.log(1)');
    const html = await serveAppRequest({ url: APP_ENTRY_URL }, dir);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect((await serveAppRequest({ url: 'app://recorder/ui/recorder/assets/missing.js' }, dir)).status).toBe(404);
    expect((await serveAppRequest({ url: 'app://recorder/ui/recorder/%2e%2e/secret.txt' }, dir)).status).toBe(403);
    const unbuilt = await serveAppRequest({ url: APP_ENTRY_URL }, path.join(root, 'nowhere'));
    expect(unbuilt.status).toBe(404);
    expect(await unbuilt.text()).toContain('npm run build');
  });
});

describe('sender check', () => {
  const own = (id: number) => id === 1;
  it('trusts only the top frame of our own window on our app URL', () => {
    expect(isTrustedSenderEvent({ sender: { id: 1 }, senderFrame: { url: APP_ENTRY_URL, parent: null } }, own)).toBe(true);
    expect(isTrustedSenderEvent({ sender: { id: 2 }, senderFrame: { url: APP_ENTRY_URL, parent: null } }, own)).toBe(false);
    expect(isTrustedSenderEvent({ sender: { id: 1 }, senderFrame: { url: APP_ENTRY_URL, parent: {} } }, own)).toBe(false);
    expect(isTrustedSenderEvent({ sender: { id: 1 }, senderFrame: { url: 'https://x/ui/recorder/', parent: null } }, own)).toBe(false);
    expect(isTrustedSenderEvent({ sender: { id: 1 }, senderFrame: null }, own)).toBe(false);
  });
});

/** The window lock-down as data, and what it does to fake sessions and webContents. */
import { describe, expect, it, vi } from 'vitest';
import { APP_ENTRY_URL } from './app-protocol.js';
import { CONTENT_SECURITY_POLICY, SECURE_WEB_PREFERENCES, hardenSession, hardenWebContents, webPreferencesFor } from './security.js';
import { desktopPaths, mainWindowOptions } from './window.js';

function directives(csp: string): Map<string, string> {
  return new Map(csp.split(';').map((d) => d.trim()).filter(Boolean).map((d) => [d.split(/\s+/)[0]!, d.split(/\s+/).slice(1).join(' ')]));
}

describe('Content-Security-Policy', () => {
  it('has exactly the directives the issue demands, and hardening that only narrows them', () => {
    const d = directives(CONTENT_SECURITY_POLICY);
    expect(d.get('default-src')).toBe("'self'");
    expect(d.get('script-src')).toBe("'self'");
    expect(d.get('worker-src')).toBe("'self' blob:");
    expect(d.get('style-src')).toBe("'self' 'unsafe-inline'");
    expect(d.get('img-src')).toBe("'self' data: blob:");
    expect(d.get('connect-src')).toBe("'self'");
    expect(d.get('object-src')).toBe("'none'");
    expect(d.get('base-uri')).toBe("'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-eval|https?:|\*/);
  });
});

describe('webPreferences', () => {
  it('isolates, sandboxes and keeps web security on, with the bundled preload', () => {
    expect(SECURE_WEB_PREFERENCES).toMatchObject({ contextIsolation: true, nodeIntegration: false, sandbox: true, webSecurity: true });
    expect(SECURE_WEB_PREFERENCES).toMatchObject({ allowRunningInsecureContent: false, webviewTag: false, nodeIntegrationInWorker: false, nodeIntegrationInSubFrames: false });
    expect(Object.isFrozen(SECURE_WEB_PREFERENCES)).toBe(true);
    const paths = desktopPaths('/opt/tr');
    const options = mainWindowOptions(paths);
    expect(options.webPreferences).toEqual(webPreferencesFor('/opt/tr/dist/src-preload/preload.cjs'));
    expect(options.webPreferences).toMatchObject(SECURE_WEB_PREFERENCES);
    expect(options.show).toBe(false);
  });
});

describe('hardenSession', () => {
  function fakeSession() {
    const s = {
      onHeaders: undefined as undefined | ((details: any, cb: (r: any) => void) => void),
      request: undefined as undefined | ((wc: any, permission: string, cb: (granted: boolean) => void) => void),
      check: undefined as undefined | ((wc: any, permission: string, origin: string) => boolean),
      webRequest: { onHeadersReceived: (l: any) => (s.onHeaders = l) },
      setPermissionRequestHandler: (h: any) => (s.request = h),
      setPermissionCheckHandler: (h: any) => (s.check = h),
    };
    return s;
  }

  it('puts our CSP on every response, replacing any other', () => {
    const s = fakeSession();
    hardenSession(s);
    const cb = vi.fn();
    s.onHeaders!({ responseHeaders: { 'content-security-policy': ["default-src *"], 'Content-Type': ['text/html'] } }, cb);
    expect(cb).toHaveBeenCalledWith({ responseHeaders: { 'Content-Type': ['text/html'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });

  it('denies every permission request, and every check but sanitized clipboard writes from our own page', () => {
    const s = fakeSession();
    hardenSession(s);
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read', 'fullscreen']) {
      const cb = vi.fn();
      s.request!({}, permission, cb);
      expect(cb).toHaveBeenCalledWith(false);
      expect(s.check!({}, permission, 'app://recorder')).toBe(false);
    }
    expect(s.check!({}, 'clipboard-sanitized-write', 'app://recorder')).toBe(true);
    expect(s.check!({}, 'clipboard-sanitized-write', 'https://evil.example')).toBe(false);
  });
});

describe('hardenWebContents', () => {
  it('prevents navigation, redirects and <webview>, and denies window.open', () => {
    const handlers = new Map<string, (event: any) => void>();
    let openHandler: ((details: any) => any) | undefined;
    hardenWebContents({ on: (name: string, l: any) => handlers.set(name, l), setWindowOpenHandler: (h: any) => (openHandler = h) } as never);
    for (const name of ['will-navigate', 'will-redirect', 'will-attach-webview']) {
      for (const url of ['https://example.com/', APP_ENTRY_URL]) {
        const event = { url, preventDefault: vi.fn() };
        handlers.get(name)!(event);
        expect(event.preventDefault).toHaveBeenCalled();
      }
    }
    expect(openHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' });
    expect(openHandler!({ url: APP_ENTRY_URL })).toEqual({ action: 'deny' });
  });
});

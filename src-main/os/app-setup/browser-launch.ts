import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spkiSha256Pin } from '../../engine/ca/pem.js';

export interface ChromiumLaunchInput {
  /** e.g. http://127.0.0.1:8081 */
  proxyUrl: string;
  /** Our CA (PEM); its SPKI pin lets this browser accept our leaves without touching any trust store. */
  caCertPem: string;
  /** An isolated profile: Chromium honours --ignore-certificate-errors-spki-list only with --user-data-dir. */
  userDataDir: string;
  startUrl?: string;
  /** Extra hosts to bypass; loopback goes THROUGH the proxy by default so local apps are recorded. */
  bypass?: string[];
  extraArgs?: string[];
}

export function chromiumArgs(input: ChromiumLaunchInput): string[] {
  const proxy = new URL(input.proxyUrl);
  const bypass = ['<-loopback>', ...(input.bypass ?? [])];
  return [
    `--user-data-dir=${input.userDataDir}`,
    `--proxy-server=${proxy.protocol}//${proxy.host}`,
    `--proxy-bypass-list=${bypass.join(';')}`,
    `--ignore-certificate-errors-spki-list=${spkiSha256Pin(input.caCertPem)}`,
    '--no-first-run',
    '--no-default-browser-check',
    // Keep Google's background chatter out of the recording.
    '--disable-background-networking',
    '--disable-component-update',
    ...(input.extraArgs ?? []),
    ...(input.startUrl ? [input.startUrl] : []),
  ];
}

/** A fresh temp profile directory; the caller deletes it when the browser exits. */
export async function createIsolatedProfileDir(prefix = 'traffic-recorder-browser-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Where Chromium-family browsers usually live, in preference order. */
export function chromiumExecutableCandidates(platform: NodeJS.Platform = process.platform): string[] {
  switch (platform) {
    case 'darwin': return [
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      '/Applications/Chromium.app/Contents/MacOS/Chromium',
      '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge',
    ];
    case 'win32': {
      const pf = process.env.PROGRAMFILES ?? 'C:\\Program Files';
      const pf86 = process.env['PROGRAMFILES(X86)'] ?? 'C:\\Program Files (x86)';
      const local = process.env.LOCALAPPDATA ?? '';
      return [
        path.win32.join(pf, 'Google', 'Chrome', 'Application', 'chrome.exe'),
        path.win32.join(pf86, 'Google', 'Chrome', 'Application', 'chrome.exe'),
        ...(local ? [path.win32.join(local, 'Google', 'Chrome', 'Application', 'chrome.exe')] : []),
        path.win32.join(pf86, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
      ];
    }
    default: return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable', '/snap/bin/chromium'];
  }
}

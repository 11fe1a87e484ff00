import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiError } from '../../../src-shared/errors.js';
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

export interface LaunchedBrowser {
  pid: number;
  executable: string;
  args: string[];
  profileDir: string;
  /** True when this session's browser was already open and is handed back instead of starting another. */
  reused: boolean;
}

export interface BrowserLauncherOptions {
  /** Browsers open at once, over all sessions. */
  max?: number;
  /** A browser that exits this soon after starting failed (no display, bad flags, sandbox refused). */
  earlyExitMs?: number;
  /** How long a browser may take to quit at shutdown before it is killed. */
  stopGraceMs?: number;
}

interface Running {
  child: ChildProcess;
  info: Omit<LaunchedBrowser, 'reused'>;
  exited: Promise<void>;
}

const STDERR_TAIL_BYTES = 2048;

/**
 * Browsers started for sessions: at most one per session (asking again hands back the open one), a cap over all
 * sessions, and every one stopped when the server shuts down. Each runs in its own process group, so stopping
 * it also stops Chromium's helper processes.
 */
export class BrowserLauncher {
  private readonly running = new Map<string, Running>();
  private readonly max: number;
  private readonly earlyExitMs: number;
  private readonly stopGraceMs: number;

  constructor(options: BrowserLauncherOptions = {}) {
    this.max = options.max ?? 4;
    this.earlyExitMs = options.earlyExitMs ?? 1000;
    this.stopGraceMs = options.stopGraceMs ?? 5000;
  }

  async launch(key: string, executable: string, argsFor: (profileDir: string) => string[]): Promise<LaunchedBrowser> {
    const open = this.running.get(key);
    if (open) return { ...open.info, reused: true };
    if (this.running.size >= this.max) {
      throw new ApiError('limit_reached', `at most ${this.max} browsers may be open at once; close one first`);
    }
    const profileDir = await createIsolatedProfileDir();
    const args = argsFor(profileDir);
    const stderrFile = path.join(profileDir, 'launch-stderr.log');
    let started: Running;
    try {
      started = await this.start(executable, args, profileDir, stderrFile);
    } catch (e) {
      await fs.rm(profileDir, { recursive: true, force: true });
      throw e;
    }
    this.running.set(key, started);
    void started.exited.then(() => this.running.delete(key));
    return { ...started.info, reused: false };
  }

  /** Stop every browser we started (shutdown). */
  async stopAll(): Promise<void> {
    await Promise.all([...this.running.values()].map((r) => this.stop(r)));
  }

  private async start(executable: string, args: string[], profileDir: string, stderrFile: string): Promise<Running> {
    // stderr goes to a file, not a pipe: a chatty browser can never block on a full pipe, nor die of a broken one
    // when the server goes away first.
    const stderr = await fs.open(stderrFile, 'w', 0o600);
    let child: ChildProcess;
    let exit: Promise<number | string | null>;
    try {
      child = spawn(executable, args, { stdio: ['ignore', 'ignore', stderr.fd], detached: true });
      // Listen before any await: a browser that dies at once may exit while we wait for anything else.
      exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
      await spawned(child, executable);
    } finally {
      await stderr.close();
    }
    const early = await Promise.race([exit, delay(this.earlyExitMs).then(() => 'running' as const)]);
    if (early !== 'running') {
      const tail = await readTail(stderrFile);
      throw new ApiError('launch_failed', `the browser ${executable} exited at once (${typeof early === 'string' ? early : `code ${early}`})${tail ? `: ${tail}` : ' without saying why'}`);
    }
    child.unref();
    const exited = exit.then(() => fs.rm(profileDir, { recursive: true, force: true })).then(() => undefined, () => undefined);
    return { child, exited, info: { pid: child.pid!, executable, args, profileDir } };
  }

  private async stop(browser: Running): Promise<void> {
    signalGroup(browser.child, 'SIGTERM');
    const quit = await Promise.race([browser.exited.then(() => true), delay(this.stopGraceMs).then(() => false)]);
    if (!quit) {
      signalGroup(browser.child, 'SIGKILL');
      await browser.exited;
    }
  }
}

function spawned(child: ChildProcess, executable: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (e: NodeJS.ErrnoException) => {
      reject(new ApiError('not_supported', `could not start the browser ${executable}: ${e.code ?? e.message}`));
    });
  });
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // The negative pid addresses the whole group: the browser and its helpers.
    process.kill(process.platform === 'win32' ? child.pid! : -child.pid!, signal);
  } catch {
    child.kill(signal);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

async function readTail(file: string): Promise<string> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.slice(-STDERR_TAIL_BYTES).trim();
}

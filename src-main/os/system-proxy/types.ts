import type { Command, CommandRunner } from '../runner.js';

export interface ProxyTarget {
  host: string;
  port: number;
  /** Hosts that bypass the proxy. Default: DEFAULT_BYPASS (so the proxy's own loopback traffic never loops). */
  bypass?: string[];
}

export const DEFAULT_BYPASS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** Normalised view of the OS setting, whatever the backend. */
export interface ProxySettingsView {
  enabled: boolean;
  http?: { host: string; port: number };
  https?: { host: string; port: number };
  bypass: string[];
}

export type ProxyBackendId = 'gnome' | 'kde' | 'macos' | 'windows';

/**
 * One OS mechanism. `read` may run query commands; the command builders are pure so each platform's
 * exact argv is unit-tested. `S` is the raw snapshot saved to disk and restored verbatim.
 */
export interface ProxyBackend<S> {
  readonly id: ProxyBackendId;
  /** Commands `read` runs, for dry-run listings. */
  readCommands(): Command[];
  read(run: CommandRunner): Promise<S>;
  view(snapshot: S): ProxySettingsView;
  applyCommands(proxy: ProxyTarget, current: S): Command[];
  restoreCommands(saved: S): Command[];
}

export interface SavedProxyState<S = unknown> {
  version: 1;
  backend: ProxyBackendId;
  savedAt: string;
  /** The settings from BEFORE we first changed anything. */
  snapshot: S;
  /** What we set. */
  proxy: ProxyTarget;
}

export interface ProxyChange {
  dryRun: boolean;
  backend: ProxyBackendId;
  /** Read-only queries (run even on dry runs). */
  reads: string[];
  /** The changing commands, copy-pasteable. */
  commands: string[];
  stateFile: string;
}

export interface ProxyOffResult extends ProxyChange {
  /** False when there was nothing saved, i.e. we had not changed anything. */
  restored: boolean;
}

export interface SystemProxyStatus {
  backend: ProxyBackendId;
  current: ProxySettingsView;
  /** Does the OS currently point at the proxy we set (per the saved state)? */
  ours: boolean;
  /** A saved state file exists: we changed the settings and have not restored them yet. */
  pendingRestore: boolean;
  savedProxy?: ProxyTarget;
}

export interface SystemProxy {
  readonly backend: ProxyBackendId;
  on(proxy: ProxyTarget, opts?: { dryRun?: boolean }): Promise<ProxyChange>;
  off(opts?: { dryRun?: boolean }): Promise<ProxyOffResult>;
  status(): Promise<SystemProxyStatus>;
  /** Restores from the saved file if one exists (app start after a crash); deletes it after success. */
  recoverAfterCrash(): Promise<boolean>;
}

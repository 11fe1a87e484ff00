import type { Command, CommandRunner } from '../runner.js';
import type { OsPlatform } from '../elevation.js';

/** What a trust store needs to know about the CA; `CertificateAuthority` satisfies it. */
export interface TrustCa {
  certPem: string;
  certPath: string;
  fingerprints: { sha1: string };
}

export type TrustScope = 'user' | 'system' | 'all';

export interface TrustOptions {
  /** user: NSS dbs / login keychain / CurrentUser store; system: OS-wide store. Defaults: linux all, else user. */
  scope?: TrustScope;
  /** Return the exact commands without running anything. */
  dryRun?: boolean;
  /** Linux: NSS database directories to use instead of the discovered ones (~/.pki/nssdb, Firefox profiles). */
  nssDbs?: string[];
}

export interface TrustTargetStatus {
  /** e.g. `system:debian`, `nss:/home/u/.pki/nssdb`, `keychain:/Library/Keychains/System.keychain`, `certstore:user` */
  target: string;
  scope: 'user' | 'system';
  /** null: cannot tell (tool missing). */
  installed: boolean | null;
  detail?: string;
}

export interface TrustStatus {
  platform: OsPlatform;
  /** True when every reachable target of the default scope has the CA. */
  installed: boolean;
  targets: TrustTargetStatus[];
}

export interface TrustStep {
  target: string;
  scope: 'user' | 'system';
  /** Already wrapped for elevation where needed. */
  commands: Command[];
  elevated: boolean;
  /** Human-readable, copy-pasteable lines. */
  display: string[];
}

export interface TrustSkip {
  target: string;
  reason: string;
}

export interface TrustPlan {
  op: 'install' | 'uninstall';
  steps: TrustStep[];
  skipped: TrustSkip[];
}

export interface TrustResult extends TrustPlan {
  dryRun: boolean;
  /** Status after the change; absent on dry runs. */
  status?: TrustStatus;
}

export interface TrustStore {
  readonly platform: OsPlatform;
  status(opts?: Pick<TrustOptions, 'scope' | 'nssDbs'>): Promise<TrustStatus>;
  install(opts?: TrustOptions): Promise<TrustResult>;
  uninstall(opts?: TrustOptions): Promise<TrustResult>;
  /** Dry run: the exact commands install/uninstall would run. Changes nothing. */
  plan(op: 'install' | 'uninstall', opts?: Omit<TrustOptions, 'dryRun'>): Promise<TrustPlan>;
}

/** Everything a trust store touches outside itself, injectable for tests. */
export interface TrustDeps {
  runner: CommandRunner;
  /** Home directory used for NSS dbs and the login keychain. */
  home: string;
  isRoot: boolean;
  exists(path: string): Promise<boolean>;
  readFile(path: string): Promise<string | null>;
  /** Directory entries (names), [] when missing. */
  readdir(path: string): Promise<string[]>;
  /** Is a program on PATH? */
  which(program: string): Promise<boolean>;
}

export const CA_NICKNAME = 'Traffic Recorder CA';

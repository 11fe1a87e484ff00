import { PlannedTrustStore } from './base.js';
import path from 'node:path';
import { elevate } from '../elevation.js';
import type { Command } from '../runner.js';
import { step } from './execute.js';
import type {
  TrustOptions, TrustPlan, TrustStatus, TrustStep, TrustTargetStatus,
} from './types.js';

export const SYSTEM_KEYCHAIN = '/Library/Keychains/System.keychain';

export function loginKeychain(home: string): string {
  return path.posix.join(home, 'Library', 'Keychains', 'login.keychain-db');
}

// ---- pure command builders ----

export function darwinInstallCommands(scope: 'user' | 'system', certPath: string, home: string): Command[] {
  return scope === 'user'
    ? [{ file: 'security', args: ['add-trusted-cert', '-r', 'trustRoot', '-k', loginKeychain(home), certPath] }]
    : [{ file: 'security', args: ['add-trusted-cert', '-d', '-r', 'trustRoot', '-k', SYSTEM_KEYCHAIN, certPath] }];
}

export function darwinUninstallCommands(scope: 'user' | 'system', certPath: string, sha1: string, home: string): Command[] {
  // Trust settings live apart from the keychain item: remove both, the first may already be gone.
  return scope === 'user'
    ? [
        { file: 'security', args: ['remove-trusted-cert', certPath], allowFailure: true },
        { file: 'security', args: ['delete-certificate', '-Z', sha1, loginKeychain(home)] },
      ]
    : [
        { file: 'security', args: ['remove-trusted-cert', '-d', certPath], allowFailure: true },
        { file: 'security', args: ['delete-certificate', '-Z', sha1, SYSTEM_KEYCHAIN] },
      ];
}

export function darwinStatusCommand(keychain: string): Command {
  return { file: 'security', args: ['find-certificate', '-a', '-Z', keychain] };
}

/** `security find-certificate -Z` prints "SHA-1 hash: <HEX>" per item. */
export function keychainHasSha1(output: string, sha1: string): boolean {
  return output.split('\n').some((l) => l.trim().toUpperCase() === `SHA-1 HASH: ${sha1.toUpperCase()}`);
}

export class DarwinTrustStore extends PlannedTrustStore {
  readonly platform = 'darwin' as const;

  private scopes(scope: TrustOptions['scope']): Array<'user' | 'system'> {
    const s = scope ?? 'user';
    return s === 'all' ? ['user', 'system'] : [s];
  }

  private keychain(scope: 'user' | 'system'): string {
    return scope === 'user' ? loginKeychain(this.deps.home) : SYSTEM_KEYCHAIN;
  }

  async status(opts: Pick<TrustOptions, 'scope'> = {}): Promise<TrustStatus> {
    const targets: TrustTargetStatus[] = [];
    for (const scope of this.scopes(opts.scope)) {
      const keychain = this.keychain(scope);
      const res = await this.deps.runner(darwinStatusCommand(keychain));
      targets.push({
        target: `keychain:${keychain}`, scope,
        installed: res.code === 0 ? keychainHasSha1(res.stdout, this.ca.fingerprints.sha1) : null,
        detail: res.code === 0 ? undefined : res.stderr.trim(),
      });
    }
    return { platform: 'darwin', installed: targets.every((t) => t.installed === true), targets };
  }

  plan(op: 'install' | 'uninstall', opts: Omit<TrustOptions, 'dryRun'> = {}): Promise<TrustPlan> {
    const steps: TrustStep[] = [];
    for (const scope of this.scopes(opts.scope)) {
      const cmds = op === 'install'
        ? darwinInstallCommands(scope, this.ca.certPath, this.deps.home)
        : darwinUninstallCommands(scope, this.ca.certPath, this.ca.fingerprints.sha1, this.deps.home);
      const target = `keychain:${this.keychain(scope)}`;
      // The login keychain needs no admin rights (macOS shows its own trust prompt); System.keychain does.
      if (scope === 'system' && !this.deps.isRoot) steps.push(step(target, scope, [elevate('darwin', cmds)], true));
      else steps.push(step(target, scope, cmds, false));
    }
    return Promise.resolve({ op, steps, skipped: [] });
  }

}

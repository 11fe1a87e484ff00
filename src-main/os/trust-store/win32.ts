import { PlannedTrustStore } from './base.js';
import { elevate } from '../elevation.js';
import type { Command } from '../runner.js';
import { step } from './execute.js';
import type {
  TrustOptions, TrustPlan, TrustStatus, TrustStep, TrustTargetStatus,
} from './types.js';

// ---- pure command builders ----

const storeFlag = (scope: 'user' | 'system'): string[] => (scope === 'user' ? ['-user'] : []);

export function win32InstallCommands(scope: 'user' | 'system', certPath: string): Command[] {
  return [{ file: 'certutil', args: [...storeFlag(scope), '-addstore', 'Root', certPath] }];
}

/** certutil accepts the SHA-1 thumbprint as the certificate id. */
export function win32UninstallCommands(scope: 'user' | 'system', sha1: string): Command[] {
  return [{ file: 'certutil', args: [...storeFlag(scope), '-delstore', 'Root', sha1] }];
}

export function win32StatusCommand(scope: 'user' | 'system', sha1: string): Command {
  return { file: 'certutil', args: [...storeFlag(scope), '-store', 'Root', sha1] };
}

export class Win32TrustStore extends PlannedTrustStore {
  readonly platform = 'win32' as const;

  private scopes(scope: TrustOptions['scope']): Array<'user' | 'system'> {
    const s = scope ?? 'user';
    return s === 'all' ? ['user', 'system'] : [s];
  }

  async status(opts: Pick<TrustOptions, 'scope'> = {}): Promise<TrustStatus> {
    const targets: TrustTargetStatus[] = [];
    for (const scope of this.scopes(opts.scope)) {
      const res = await this.deps.runner(win32StatusCommand(scope, this.ca.fingerprints.sha1));
      // certutil -store exits non-zero (CRYPT_E_NOT_FOUND) when the id is not in the store.
      targets.push({ target: `certstore:${scope}`, scope, installed: res.code === 0 });
    }
    return { platform: 'win32', installed: targets.every((t) => t.installed === true), targets };
  }

  plan(op: 'install' | 'uninstall', opts: Omit<TrustOptions, 'dryRun'> = {}): Promise<TrustPlan> {
    const steps: TrustStep[] = [];
    for (const scope of this.scopes(opts.scope)) {
      const cmds = op === 'install'
        ? win32InstallCommands(scope, this.ca.certPath)
        : win32UninstallCommands(scope, this.ca.fingerprints.sha1);
      // CurrentUser\Root needs no admin (Windows asks the user itself); LocalMachine\Root needs UAC.
      if (scope === 'system') steps.push(step(`certstore:${scope}`, scope, [elevate('win32', cmds)], true));
      else steps.push(step(`certstore:${scope}`, scope, cmds, false));
    }
    return Promise.resolve({ op, steps, skipped: [] });
  }

}

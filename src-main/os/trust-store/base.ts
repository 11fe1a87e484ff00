import type { OsPlatform } from '../elevation.js';
import { executePlan } from './execute.js';
import type { TrustCa, TrustDeps, TrustOptions, TrustPlan, TrustResult, TrustStatus, TrustStore } from './types.js';

/** What every platform shares: plan the commands, then (unless a dry run) run them and report the new status. */
export abstract class PlannedTrustStore implements TrustStore {
  abstract readonly platform: OsPlatform;

  constructor(
    protected readonly ca: TrustCa,
    protected readonly deps: TrustDeps,
  ) {}

  abstract status(opts?: Pick<TrustOptions, 'scope' | 'nssDbs'>): Promise<TrustStatus>;
  abstract plan(op: 'install' | 'uninstall', opts?: Omit<TrustOptions, 'dryRun'>): Promise<TrustPlan>;

  install(opts: TrustOptions = {}): Promise<TrustResult> {
    return this.apply('install', opts);
  }

  uninstall(opts: TrustOptions = {}): Promise<TrustResult> {
    return this.apply('uninstall', opts);
  }

  private async apply(op: 'install' | 'uninstall', opts: TrustOptions): Promise<TrustResult> {
    const plan = await this.plan(op, opts);
    if (opts.dryRun) return { ...plan, dryRun: true };
    await executePlan(this.platform, plan, this.deps);
    return { ...plan, dryRun: false, status: await this.status(opts) };
  }
}

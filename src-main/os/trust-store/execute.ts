import { isElevationRefused, type OsPlatform } from '../elevation.js';
import { OsIntegrationError } from '../errors.js';
import { commandFailed, formatCommand, type Command } from '../runner.js';
import type { TrustDeps, TrustPlan, TrustStep } from './types.js';

export function step(target: string, scope: 'user' | 'system', commands: Command[], elevated: boolean): TrustStep {
  return { target, scope, commands, elevated, display: commands.map(formatCommand) };
}

/** Runs a plan step by step; an elevated command refused by the user becomes ELEVATION_REFUSED. */
export async function executePlan(platform: OsPlatform, plan: TrustPlan, deps: TrustDeps): Promise<void> {
  for (const s of plan.steps) {
    for (const cmd of s.commands) {
      const res = await deps.runner(cmd);
      if (res.code === 0 || cmd.allowFailure) continue;
      if (isElevationRefused(platform, res)) {
        throw new OsIntegrationError('ELEVATION_REFUSED', `Administrator rights were refused for ${s.target}`, {
          command: formatCommand(cmd), exitCode: res.code, stderr: res.stderr,
        });
      }
      throw commandFailed(cmd, res);
    }
  }
}

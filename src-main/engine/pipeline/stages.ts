/**
 * The one place where the exchange pipeline's stages are registered, in the order they run. Each session compiles
 * its configuration (plain data from src-shared) into these instances once, and again when it is replaced.
 */
import type { LocalMock } from '../../../src-shared/mocks.js';
import type { ScopeFilters } from '../../../src-shared/model.js';
import type { SessionModifications } from '../../../src-shared/modifications.js';
import type { SessionToxics } from '../../../src-shared/toxics.js';
import type { UpstreamPolicy } from '../proxy/upstream-policy.js';
import { captureStage, type CaptureStageOptions } from './capture-stage.js';
import { loopCheckStage } from './loop-check-stage.js';
import { mapLocalStage } from './map-local-stage.js';
import { modifyStage } from './modify-stage.js';
import { Pipeline } from './pipeline.js';
import { policyStage } from './policy-stage.js';
import { scopeFilterStage } from './scope-filter-stage.js';
import type { Stage } from './stage.js';
import { toxicsStage } from './toxics-stage.js';

/** Read only by the benchmark (bench/proxy-bench.ts): this many stages with no hook, to show they cost nothing. */
export const BENCH_NOOP_STAGES_ENV = 'TRAFFIC_RECORDER_BENCH_NOOP_STAGES';

export interface SessionStageConfig {
  filters: ScopeFilters | undefined;
  upstreamPolicy: UpstreamPolicy | undefined;
  /** The forwarder's Via token (its mark on every request it sends). */
  viaToken: string;
  capture: CaptureStageOptions;
  /** The session's toxics (src-shared/toxics.ts); none: no stage. */
  toxics?: SessionToxics;
  /** The session's modification rules (src-shared/modifications.ts); none: no stage. */
  modifications?: SessionModifications;
  /** Map local: the mocks of the session's namespace, in the order they are tried; none (or map local off): no stage. */
  mapLocal?: readonly LocalMock[];
  /** Stages run after the built-in ones (tests). */
  extraStages?: readonly Stage[];
}

export function compilePipeline(config: SessionStageConfig): Pipeline {
  const stages: Array<Stage | undefined> = [
    config.upstreamPolicy ? policyStage(config.upstreamPolicy) : undefined,
    loopCheckStage(config.viaToken),
    scopeFilterStage(config.filters),
    captureStage(config.capture),
    // After capture, whose head hook has begun the entry (a mocked answer is recorded), and after the refusals
    // above (policy, loop check: a refused request is never served a mock). Before toxics: a mock stands in for the
    // upstream, and the toxics shape what goes to the upstream, so a mocked request is neither failed nor delayed
    // by them (the mock's own delay is its latency); and before modifications, which change what goes upstream
    // and what comes back from it: the mock's answer is sent as written.
    mapLocalStage(config.mapLocal),
    // After capture, whose head hook has begun the entry; its decisions are local answers, taken after the
    // refusals above, so a refused request is never delayed or counted.
    toxicsStage(config.toxics),
    // After capture (the entry's request is what the app sent) and after toxics (an injected answer is not modified).
    modifyStage(config.modifications, { bodyLimit: config.capture.bodyLimit }),
    ...benchNoopStages(),
    ...(config.extraStages ?? []),
  ];
  return new Pipeline(stages.filter((s): s is Stage => s !== undefined));
}

function benchNoopStages(): Stage[] {
  const count = Number(process.env[BENCH_NOOP_STAGES_ENV] ?? 0);
  if (!Number.isInteger(count) || count <= 0) return [];
  return Array.from({ length: Math.min(count, 1000) }, (_, i) => ({ name: `bench-noop-${i}` }));
}

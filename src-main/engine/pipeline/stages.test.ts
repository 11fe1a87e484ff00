import { afterEach, describe, expect, it } from 'vitest';
import { loopbackOnly } from '../proxy/upstream-policy.js';
import { BENCH_NOOP_STAGES_ENV, compilePipeline, type SessionStageConfig } from './stages.js';

const capture: SessionStageConfig['capture'] = { bodyLimit: 1024, onExchange: () => undefined, onTunnel: () => undefined };

afterEach(() => {
  delete process.env[BENCH_NOOP_STAGES_ENV];
});

describe('the stage list', () => {
  it('runs policy, loop check, scope filter and capture in that order', () => {
    const pipeline = compilePipeline({ filters: { excludePaths: ['/x'] }, upstreamPolicy: loopbackOnly, viaToken: 'tok', capture });
    expect(pipeline.stages.map((s) => s.name)).toEqual(['upstream-policy', 'loop-check', 'scope-filter', 'capture']);
    expect(pipeline.implementers('onRequestHead')).toEqual(['upstream-policy', 'scope-filter', 'capture']);
    expect(pipeline.implementers('answerLocally')).toEqual(['loop-check']);
    expect(pipeline.implementers('onUpgrade')).toEqual(['upstream-policy', 'loop-check', 'scope-filter', 'capture']);
  });

  it('leaves out what a session does not use: no policy, no filters, no status filter', () => {
    const pipeline = compilePipeline({ filters: {}, upstreamPolicy: undefined, viaToken: 'tok', capture });
    expect(pipeline.stages.map((s) => s.name)).toEqual(['loop-check', 'capture']);
    expect(pipeline.implementers('answerLocally')).toEqual(['loop-check']);
    expect(pipeline.implementers('onComplete')).toEqual(['capture']);
    const withStatus = compilePipeline({ filters: { excludeStatus: [204] }, upstreamPolicy: undefined, viaToken: 'tok', capture });
    expect(withStatus.implementers('onComplete')).toEqual(['scope-filter', 'capture']);
  });

  it('registers the benchmark no-op stages without adding them to any hook the hot path loops over', () => {
    process.env[BENCH_NOOP_STAGES_ENV] = '20';
    const pipeline = compilePipeline({ filters: {}, upstreamPolicy: undefined, viaToken: 'tok', capture });
    expect(pipeline.stages.filter((s) => s.name.startsWith('bench-noop-'))).toHaveLength(20);
    for (const hook of ['onRequestHead', 'answerLocally', 'requestBody', 'onResponseHead', 'responseBody', 'onComplete', 'onTunnel', 'onUpgrade'] as const) {
      expect(pipeline.implementers(hook).filter((name) => name.startsWith('bench-noop-'))).toEqual([]);
    }
    expect(pipeline.seesResponseHead || pipeline.transformsRequestBody || pipeline.transformsResponseBody).toBe(false);
  });
});

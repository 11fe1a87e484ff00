import { describe, expect, it } from 'vitest';
import { compilePipeline, type SessionStageConfig } from './stages.js';
import { toxicsStage } from './toxics-stage.js';

const capture: SessionStageConfig['capture'] = { bodyLimit: 1024, onExchange: () => undefined, onTunnel: () => undefined };
const names = (config: Partial<SessionStageConfig>) => compilePipeline({ filters: {}, upstreamPolicy: undefined, viaToken: 'tok', capture, ...config });

describe('the toxics stage', () => {
  it('is left out when no set does anything', () => {
    expect(toxicsStage(undefined)).toBeUndefined();
    expect(toxicsStage({})).toBeUndefined();
    expect(toxicsStage({ http: [{ delayMs: 0 }, { errorRate: 0, seed: 1 }] })).toBeUndefined();
    expect(toxicsStage({ websocket: { delayMs: 100 }, grpc: { errorRate: 1 } })).toBeUndefined();
    expect(names({ toxics: { delayMs: 0 } }).stages.map((s) => s.name)).toEqual(['loop-check', 'capture']);
  });

  it('runs after capture, deciding in the local-answer hook, with body streams only for the rates it has', () => {
    const delayed = names({ toxics: { http: { delayMs: 5, errorRate: 0.1 } } });
    expect(delayed.stages.map((s) => s.name)).toEqual(['loop-check', 'capture', 'toxics']);
    expect(delayed.implementers('answerLocally')).toEqual(['loop-check', 'toxics']);
    expect([delayed.transformsRequestBody, delayed.transformsResponseBody]).toEqual([false, false]);
    const shaped = names({ toxics: { http: [{ match: { path: '/up' }, slowReadKBps: 8 }, { bandwidthKBps: 16 }] } });
    expect([shaped.implementers('requestBody'), shaped.implementers('responseBody')]).toEqual([['toxics'], ['toxics']]);
  });
});

/**
 * A session's stages compiled into one array per hook (only the stages that implement it), so the hot path loops
 * only over hooks somebody implements. Compiled once per session configuration; replacing the configuration
 * swaps the whole Pipeline object, and each exchange keeps the one it started with.
 */
import type { ServerResponse } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import type { CapturedExchange } from '../capture/http-capture.js';
import type { CompletedExchange, Exchange, LocalAnswer, ResponseHead, Stage, TunnelExchange, UpgradeExchange } from './stage.js';

export type Hook = Exclude<keyof Stage, 'name'>;

function having<K extends Hook>(stages: readonly Stage[], hook: K): Array<Stage & Required<Pick<Stage, K>>> {
  return stages.filter((s): s is Stage & Required<Pick<Stage, K>> => typeof s[hook] === 'function');
}

export class Pipeline {
  private readonly head;
  private readonly local;
  private readonly requestBodies;
  private readonly responseHeads;
  private readonly responseBodies;
  private readonly completions;
  private readonly tunnels;
  private readonly upgrades;

  constructor(readonly stages: readonly Stage[]) {
    this.head = having(stages, 'onRequestHead');
    this.local = having(stages, 'answerLocally');
    this.requestBodies = having(stages, 'requestBody');
    this.responseHeads = having(stages, 'onResponseHead');
    this.responseBodies = having(stages, 'responseBody');
    this.completions = having(stages, 'onComplete');
    this.tunnels = having(stages, 'onTunnel');
    this.upgrades = having(stages, 'onUpgrade');
  }

  /** The names of the stages that implement `hook`, in order (what the hot path loops over). */
  implementers(hook: Hook): string[] {
    return having(this.stages, hook).map((s) => s.name);
  }

  get transformsRequestBody(): boolean {
    return this.requestBodies.length > 0;
  }

  get transformsResponseBody(): boolean {
    return this.responseBodies.length > 0;
  }

  get seesResponseHead(): boolean {
    return this.responseHeads.length > 0;
  }

  /** Head hooks, then the local-answer hooks; returns the answer to give, if any. A stage that throws gets a 500. */
  requestHead(exchange: Exchange): LocalAnswer | undefined {
    let stage: Stage | undefined;
    try {
      for (let i = 0; i < this.head.length; i++) (stage = this.head[i]!).onRequestHead(exchange);
      for (let i = 0; i < this.local.length && !exchange.answer; i++) exchange.answer = (stage = this.local[i]!).answerLocally(exchange);
    } catch (e) {
      exchange.answer = failedAnswer(new StageFailure(stage!.name, e));
    }
    return exchange.answer;
  }

  /** Returns the failure of a stage that threw; the forwarder then answers 502 instead of the upstream's head. */
  responseHead(exchange: Exchange, head: ResponseHead): StageFailure | undefined {
    let i = 0;
    try {
      for (; i < this.responseHeads.length; i++) this.responseHeads[i]!.onResponseHead(exchange, head);
      return undefined;
    } catch (e) {
      return new StageFailure(this.responseHeads[i]!.name, e);
    }
  }

  /**
   * `from` piped through every stage's request-body stream; returns the last readable of the chain, or the failure
   * of a stage that threw. `onError` hears of a stream that fails later, while the body flows.
   */
  requestBodyChain(exchange: Exchange, from: Readable, onError: (failure: StageFailure) => void): Readable | StageFailure {
    return chain(this.requestBodies, (s) => s.requestBody(exchange), from, onError);
  }

  responseBodyChain(exchange: Exchange, from: Readable, onError: (failure: StageFailure) => void): Readable | StageFailure {
    return chain(this.responseBodies, (s) => s.responseBody(exchange), from, onError);
  }

  /** Every completion hook runs, even after one throws (capture, last, must still record). */
  complete(exchange: CompletedExchange, captured: CapturedExchange | undefined): void {
    for (let i = 0; i < this.completions.length; i++) {
      try {
        this.completions[i]!.onComplete(exchange, captured);
      } catch (e) {
        process.emitWarning(new StageFailure(this.completions[i]!.name, e).message);
      }
    }
  }

  /** Completion for an exchange no capture watches: on the response's close. */
  completeOnClose(exchange: Exchange, res: ServerResponse): void {
    if (this.completions.length > 0) res.once('close', () => this.complete(exchange, undefined));
  }

  /** A stage that throws closes the tunnel. */
  tunnel(tunnel: TunnelExchange): void {
    let i = 0;
    try {
      for (; i < this.tunnels.length && !tunnel.refused; i++) this.tunnels[i]!.onTunnel(tunnel);
    } catch (e) {
      process.emitWarning(new StageFailure(this.tunnels[i]!.name, e).message);
      tunnel.refused = true;
    }
  }

  /** A stage that throws refuses the upgrade with a 500. */
  upgrade(upgrade: UpgradeExchange): void {
    let i = 0;
    try {
      for (; i < this.upgrades.length && !upgrade.answer; i++) this.upgrades[i]!.onUpgrade(upgrade);
    } catch (e) {
      upgrade.answer = failedAnswer(new StageFailure(this.upgrades[i]!.name, e));
    }
  }
}

/** A stage threw: the exchange is answered or ended with this, never the process. */
export class StageFailure extends Error {
  readonly code = 'STAGE_FAILED';

  constructor(
    readonly stage: string,
    cause: unknown,
  ) {
    super(`the pipeline stage "${stage}" failed: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

function failedAnswer(failure: StageFailure): LocalAnswer {
  return { status: 500, message: 'Internal Server Error', text: `Traffic Recorder: ${failure.message}\n` };
}

/** pipe() keeps back-pressure at each link; a stream that fails is reported once, and unpiped by pipe() itself. */
function chain<S extends Stage>(
  stages: readonly S[],
  make: (stage: S) => Transform | undefined,
  from: Readable,
  onError: (failure: StageFailure) => void,
): Readable | StageFailure {
  let last: Readable = from;
  for (const stage of stages) {
    let t: Transform | undefined;
    try {
      t = make(stage);
    } catch (e) {
      return new StageFailure(stage.name, e);
    }
    if (!t) continue;
    let reported = false;
    // `on`: a second error from the same stream must not find it without a listener.
    t.on('error', (e: Error) => {
      if (!reported) onError(new StageFailure(stage.name, e));
      reported = true;
    });
    last = last.pipe(t);
  }
  return last;
}

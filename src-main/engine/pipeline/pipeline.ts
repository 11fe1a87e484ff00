/**
 * A session's stages compiled into one array per hook (only the stages that implement it), so the hot path loops
 * only over hooks somebody implements. Compiled once per session configuration; replacing the configuration
 * swaps the whole Pipeline object, and each exchange keeps the one it started with.
 */
import type { ServerResponse } from 'node:http';
import type { Readable, Transform, Writable } from 'node:stream';
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

  /** Head hooks, then the local-answer hooks; returns the answer to give, if any. */
  requestHead(exchange: Exchange): LocalAnswer | undefined {
    for (let i = 0; i < this.head.length; i++) this.head[i]!.onRequestHead(exchange);
    for (let i = 0; i < this.local.length && !exchange.answer; i++) exchange.answer = this.local[i]!.answerLocally(exchange);
    return exchange.answer;
  }

  responseHead(exchange: Exchange, head: ResponseHead): void {
    for (let i = 0; i < this.responseHeads.length; i++) this.responseHeads[i]!.onResponseHead(exchange, head);
  }

  /** `from` piped through every stage's request-body stream; returns the last readable of the chain. */
  requestBodyChain(exchange: Exchange, from: Readable): Readable {
    return chain(from, this.requestBodies.map((s) => s.requestBody(exchange)));
  }

  responseBodyChain(exchange: Exchange, from: Readable): Readable {
    return chain(from, this.responseBodies.map((s) => s.responseBody(exchange)));
  }

  complete(exchange: CompletedExchange, captured: CapturedExchange | undefined): void {
    for (let i = 0; i < this.completions.length; i++) this.completions[i]!.onComplete(exchange, captured);
  }

  /** Completion for an exchange no capture watches: on the response's close. */
  completeOnClose(exchange: Exchange, res: ServerResponse): void {
    if (this.completions.length > 0) res.once('close', () => this.complete(exchange, undefined));
  }

  tunnel(tunnel: TunnelExchange): void {
    for (let i = 0; i < this.tunnels.length && !tunnel.refused; i++) this.tunnels[i]!.onTunnel(tunnel);
  }

  upgrade(upgrade: UpgradeExchange): void {
    for (let i = 0; i < this.upgrades.length && !upgrade.answer; i++) this.upgrades[i]!.onUpgrade(upgrade);
  }
}

/** pipe() keeps back-pressure at each link; an error anywhere destroys the source so both sides see it. */
function chain(from: Readable, transforms: Array<Transform | undefined>): Readable {
  let last: Readable = from;
  for (const t of transforms) {
    if (!t) continue;
    t.once('error', () => from.destroy());
    last = last.pipe(t as Writable & Transform);
  }
  return last;
}

/**
 * Body replacements on a response body: the body is decoded (gzip, deflate, br), collected up to a bound, the
 * rules applied in order to the whole text (so a match split across chunks is found), and sent as identity (the
 * stage dropped Content-Encoding and Content-Length from the head: Node frames it as chunked). A body past the
 * bound, or one that is not UTF-8 text, is sent on decoded and unchanged. A body past INLINE_LIMIT is replaced in
 * a worker thread (modify-pool.ts), within a time budget past which it is sent unchanged.
 */
import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { applyReplacements, type CompiledReplacement } from './modify-rules.js';
import { DEFAULT_REPLACE_BUDGET_MS, INLINE_LIMIT, replacePool, type ReplacePool, type ReplaceResult } from './modify-pool.js';

export { compileReplacements, type CompiledReplacement } from './modify-rules.js';

export type BodyEncoding = 'identity' | 'gzip' | 'deflate' | 'br';

export interface ReplaceOptions {
  /** Time the rules may take on one body (default DEFAULT_REPLACE_BUDGET_MS). */
  budgetMs?: number;
  /** Bodies whose length times the number of rules is at most this are replaced on this thread (default INLINE_LIMIT). */
  inlineLimit?: number;
  pool?: ReplacePool;
}

export interface BodyOutcome {
  applied: number[];
  /** The body before the rules (decoded), when it was collected whole. */
  original?: Buffer;
  tooLarge: boolean;
  /** The rules ran out of time (`rule`: the one running; absent: still waiting for a worker): sent unchanged. */
  timedOut?: { rule?: number; budgetMs: number };
}

function decoderFor(encoding: BodyEncoding): zlib.Gunzip | zlib.Inflate | zlib.BrotliDecompress | undefined {
  if (encoding === 'gzip') return zlib.createGunzip();
  if (encoding === 'deflate') return zlib.createInflate();
  if (encoding === 'br') return zlib.createBrotliDecompress();
  return undefined;
}

export class ReplacingBody extends Transform {
  private readonly decoder: ReturnType<typeof decoderFor>;
  private collected: Buffer[] = [];
  private size = 0;
  private passing = false;
  /** Aborted when the body is destroyed (its client left): a worker still replacing it is freed. */
  private readonly abandoned = new AbortController();

  constructor(
    private readonly rules: readonly CompiledReplacement[],
    private readonly bound: number,
    encoding: BodyEncoding,
    private readonly onDone: (outcome: BodyOutcome) => void,
    private readonly options: ReplaceOptions = {},
  ) {
    super();
    this.decoder = decoderFor(encoding);
    this.decoder?.on('data', (chunk: Buffer) => this.collect(chunk));
    this.decoder?.on('error', (e) => this.destroy(e));
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.decoder) this.decoder.write(chunk, () => done());
    else {
      this.collect(chunk);
      done();
    }
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.abandoned.abort();
    this.decoder?.destroy();
    done(error);
  }

  override _flush(done: TransformCallback): void {
    const finish = (): void => void this.finish().then(() => done(), (e: unknown) => done(e as Error));
    if (!this.decoder) return finish();
    this.decoder.once('end', finish);
    this.decoder.end();
  }

  private collect(chunk: Buffer): void {
    if (this.passing) {
      this.pass(chunk);
      return;
    }
    this.collected.push(chunk);
    this.size += chunk.length;
    if (this.size > this.bound) {
      this.passing = true;
      this.pass(Buffer.concat(this.collected));
      this.collected = [];
    }
  }

  /**
   * A body past the bound streams on decoded, with back-pressure. One compressed chunk can decode to a thousand
   * times its size (a gzip bomb: 255 KiB became 256 MiB, and 64 MiB of it sat here for a client that did not
   * read), so the decoder is paused until the client takes what is pushed.
   */
  private pass(chunk: Buffer): void {
    if (!this.push(chunk)) this.decoder?.pause();
  }

  override _read(size: number): void {
    this.decoder?.resume();
    super._read(size);
  }

  private async finish(): Promise<void> {
    if (this.passing) {
      this.onDone({ applied: [], tooLarge: true });
      return;
    }
    const body = Buffer.concat(this.collected);
    this.collected = [];
    // Not UTF-8 (binary): left as it is.
    const result = isUtf8(body) ? await this.replace(body) : { kind: 'done' as const, applied: [] };
    if (this.destroyed || result.kind === 'cancelled') return;
    if (result.kind === 'timeout') {
      this.push(body);
      const timedOut = result.rule === undefined ? { budgetMs: this.budgetMs } : { rule: result.rule, budgetMs: this.budgetMs };
      this.onDone({ applied: [], original: body, tooLarge: false, timedOut });
      return;
    }
    this.push(result.applied.length > 0 && result.body ? result.body : body);
    this.onDone({ applied: result.applied, original: body, tooLarge: false });
  }

  private get budgetMs(): number {
    return this.options.budgetMs ?? DEFAULT_REPLACE_BUDGET_MS;
  }

  private async replace(body: Buffer): Promise<ReplaceResult> {
    // Each rule is a pass over the text: what stays here is bounded by the passes' total length.
    if (body.length * Math.max(1, this.rules.length) > (this.options.inlineLimit ?? INLINE_LIMIT)) {
      return (this.options.pool ?? replacePool()).run(this.rules.map((r) => r.rule), body, this.budgetMs, this.abandoned.signal);
    }
    const { text, applied } = applyReplacements(this.rules, body.toString('utf8'));
    return applied.length > 0 ? { kind: 'done', applied, body: Buffer.from(text, 'utf8') } : { kind: 'done', applied };
  }
}

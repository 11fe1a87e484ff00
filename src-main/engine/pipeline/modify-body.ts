/**
 * Body replacements on a response body: the body is decoded (gzip, deflate, br), collected up to a bound, the
 * rules applied in order to the whole text (so a match split across chunks is found), and sent as identity (the
 * stage dropped Content-Encoding and Content-Length from the head: Node frames it as chunked). A body past the
 * bound, or one that is not UTF-8 text, is sent on decoded and unchanged.
 */
import { Transform, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { RE2JS } from 're2js';
import type { BodyReplacement } from '../../../src-shared/modifications.js';

export type BodyEncoding = 'identity' | 'gzip' | 'deflate' | 'br';

export interface CompiledReplacement {
  index: number;
  apply(text: string): string | undefined;
}

export function compileReplacements(rules: readonly BodyReplacement[]): CompiledReplacement[] {
  return rules.map((rule, index) => {
    if (!rule.isRegex) {
      return { index, apply: (text) => (text.includes(rule.match) ? text.split(rule.match).join(rule.replace) : undefined) };
    }
    const regex = RE2JS.compile(rule.match);
    return {
      index,
      apply(text) {
        const matcher = regex.matcher(text);
        if (!matcher.find()) return undefined;
        return matcher.reset().replaceAll(rule.replace);
      },
    };
  });
}

export interface BodyOutcome {
  applied: number[];
  /** The body before the rules (decoded), when it was collected whole. */
  original?: Buffer;
  tooLarge: boolean;
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

  constructor(
    private readonly rules: readonly CompiledReplacement[],
    private readonly bound: number,
    encoding: BodyEncoding,
    private readonly onDone: (outcome: BodyOutcome) => void,
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

  override _flush(done: TransformCallback): void {
    if (!this.decoder) {
      this.finish();
      done();
      return;
    }
    this.decoder.once('end', () => {
      this.finish();
      done();
    });
    this.decoder.end();
  }

  private collect(chunk: Buffer): void {
    if (this.passing) {
      this.push(chunk);
      return;
    }
    this.collected.push(chunk);
    this.size += chunk.length;
    if (this.size > this.bound) {
      this.passing = true;
      this.push(Buffer.concat(this.collected));
      this.collected = [];
    }
  }

  private finish(): void {
    if (this.passing) {
      this.onDone({ applied: [], tooLarge: true });
      return;
    }
    const body = Buffer.concat(this.collected);
    this.collected = [];
    const text = body.toString('utf8');
    const applied: number[] = [];
    let out = text;
    // Not UTF-8 (binary): left as it is.
    if (Buffer.byteLength(text) === body.length && Buffer.from(text, 'utf8').equals(body)) {
      for (const rule of this.rules) {
        const next = rule.apply(out);
        if (next !== undefined) {
          out = next;
          applied.push(rule.index);
        }
      }
    }
    this.push(applied.length > 0 ? Buffer.from(out, 'utf8') : body);
    this.onDone({ applied, original: body, tooLarge: false });
  }
}

/**
 * A body replacement worker (worker_threads): takes a body and the rules, says which rule it starts (so that a
 * timeout can name it), and answers the replaced body, moved back rather than copied. The pool (modify-pool.ts)
 * terminates a worker that runs past its budget: nothing here needs to check the time.
 */
import { parentPort } from 'node:worker_threads';
import { applyReplacements, compileReplacements, type CompiledReplacement } from './modify-rules.js';
import type { ReplaceReply, ReplaceRequest } from './modify-pool.js';

const port = parentPort!;
/** Sessions reuse their rules for every body: compile each rule list once (a few lists at most). */
const compiled = new Map<string, CompiledReplacement[]>();
const MAX_COMPILED = 16;

function rulesOf(request: ReplaceRequest): CompiledReplacement[] {
  const key = JSON.stringify(request.rules);
  let rules = compiled.get(key);
  if (!rules) {
    rules = compileReplacements(request.rules);
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!);
    compiled.set(key, rules);
  }
  return rules;
}

port.on('message', (request: ReplaceRequest) => {
  const text = Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength).toString('utf8');
  const { text: out, applied } = applyReplacements(rulesOf(request), text, (index) => port.postMessage({ id: request.id, kind: 'rule', index } satisfies ReplaceReply));
  if (applied.length === 0) return port.postMessage({ id: request.id, kind: 'done', applied } satisfies ReplaceReply);
  const encoded = Buffer.from(out, 'utf8');
  // A whole buffer of its own moves to the main thread; a view into Node's pool is copied out first.
  const body = encoded.byteOffset === 0 && encoded.byteLength === encoded.buffer.byteLength ? new Uint8Array(encoded.buffer) : new Uint8Array(encoded);
  port.postMessage({ id: request.id, kind: 'done', applied, body } satisfies ReplaceReply, [body.buffer]);
});

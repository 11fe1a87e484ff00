/**
 * Helpers for the hostile probes (`*-hostile.int.test.ts`): exact bytes on a raw socket, because real clients
 * (fetch, curl) normalise paths and refuse to send or to read malformed things, and the probes need both.
 */
import net from 'node:net';

export interface RawReply {
  /** Everything the server sent before it closed (or before `idleMs` of silence), as latin1 text. */
  text: string;
  /** The socket ended with a reset or another error. */
  error?: string;
}

/** Sends `bytes` and reads until the server closes or stays silent for `idleMs`. */
export function rawExchange(port: number, bytes: string | Buffer, idleMs = 1500): Promise<RawReply> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      resolve(error === undefined ? { text } : { text, error });
    };
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => finish(), idleMs);
    };
    arm();
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      arm();
    });
    socket.on('end', () => finish());
    socket.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
  });
}

export interface ParsedResponse {
  status: number;
  head: string;
  headers: Array<[string, string]>;
  body: string;
}

/**
 * Splits a stream of HTTP/1.1 responses framed by Content-Length (or bodiless: HEAD, 1xx, 204, 304), strictly:
 * what does not parse is returned as `rest`, so a desynchronised stream shows up.
 */
export function splitResponses(text: string, methods: readonly string[]): { responses: ParsedResponse[]; rest: string } {
  const responses: ParsedResponse[] = [];
  let at = 0;
  for (const method of methods) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end === -1) break;
    const head = text.slice(at, end);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
    if (status === 0) break;
    const headers = head.split('\r\n').slice(1).map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    });
    const declared = headers.find(([n]) => n === 'content-length')?.[1];
    const bodiless = method === 'HEAD' || status < 200 || status === 204 || status === 304;
    const length = bodiless ? 0 : Number(declared ?? 0);
    const body = text.slice(end + 4, end + 4 + length);
    responses.push({ status, head, headers, body });
    at = end + 4 + length;
  }
  return { responses, rest: text.slice(at) };
}

/** A JSON text nested `depth` arrays deep around `1`. */
export function deepJson(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

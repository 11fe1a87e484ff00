/**
 * Where the API token comes from. `--token` is visible to every user of the machine (`ps`, /proc/<pid>/cmdline);
 * a file only its owner can read, or the environment (readable only by the same user and root), is safer.
 */
import fs from 'node:fs';

const MAX_TOKEN_LENGTH = 1024;

/** A token must survive an `Authorization: Bearer` header and a URL fragment unchanged. */
export function checkToken(token: string, source: string): string {
  if (token.length === 0) throw new Error(`${source}: the API token is empty`);
  if (token.length > MAX_TOKEN_LENGTH) throw new Error(`${source}: the API token is longer than ${MAX_TOKEN_LENGTH} characters`);
  if (!/^[\x21-\x7e]+$/.test(token)) throw new Error(`${source}: the API token may contain only printable ASCII without spaces`);
  return token;
}

/** The first line of `file`, trimmed; a file others may read is used, with a warning. */
export function readTokenFile(file: string, warn: (message: string) => void = console.warn): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`--token-file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (process.platform !== 'win32' && (fs.statSync(file).mode & 0o077) !== 0) {
    warn(`Traffic Recorder: --token-file ${file} is readable by other users; chmod 600 it`);
  }
  return checkToken((text.split(/\r?\n/)[0] ?? '').trim(), `--token-file ${file}`);
}

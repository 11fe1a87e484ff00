import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
let cached: Promise<{ key: string; cert: string }> | undefined;

/** A self-signed server certificate for localhost and 127.0.0.1, made once per test process by openssl. */
export function selfSignedCert(): Promise<{ key: string; cert: string }> {
  cached ??= (async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'tr-cert-'));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    await run('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout', key, '-out', cert,
    ]);
    const result = { key: await fs.readFile(key, 'utf8'), cert: await fs.readFile(cert, 'utf8') };
    await fs.rm(dir, { recursive: true, force: true });
    return result;
  })();
  return cached;
}

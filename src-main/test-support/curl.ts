import { execFile } from 'node:child_process';

export interface CurlResult {
  status: number;
  body: Buffer;
  stderr: string;
  exitCode: number;
}

/** Run the real curl; the status code comes from `-w`, appended after a marker. */
export function curl(args: string[], options: { timeoutMs?: number } = {}): Promise<CurlResult> {
  const marker = '\n__CURL_STATUS__:';
  return new Promise((resolve) => {
    execFile(
      'curl',
      ['-sS', '--noproxy', '', '-w', `${marker}%{http_code}`, ...args],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, timeout: options.timeoutMs ?? 20_000, env: { ...process.env, http_proxy: '', https_proxy: '', HTTP_PROXY: '', HTTPS_PROXY: '' } },
      (error, stdout, stderr) => {
        const out = stdout as Buffer;
        const at = out.lastIndexOf(marker);
        const status = at >= 0 ? Number(out.subarray(at + marker.length).toString()) : 0;
        resolve({
          status,
          body: at >= 0 ? out.subarray(0, at) : out,
          stderr: (stderr as Buffer).toString(),
          exitCode: error ? ((error as { code?: number }).code ?? 1) : 0,
        });
      },
    );
  });
}

import { describe, expect, it } from 'vitest';
import { generateCa } from '../../engine/ca/certificate-authority.js';
import { spkiSha256Pin } from '../../engine/ca/pem.js';
import { chromiumArgs } from './browser-launch.js';
import { environmentScripts, proxyEnvironment } from './env-block.js';


describe('environment block', () => {
  const input = { proxyUrl: 'http://127.0.0.1:8081', caFile: "/home/o'neil/ca cert.pem" };

  it('has every variable the brief lists, pointing at proxy and CA', () => {
    expect(proxyEnvironment(input)).toMatchObject({
      HTTP_PROXY: 'http://127.0.0.1:8081', HTTPS_PROXY: 'http://127.0.0.1:8081',
      NODE_EXTRA_CA_CERTS: input.caFile, SSL_CERT_FILE: input.caFile, REQUESTS_CA_BUNDLE: input.caFile,
      CURL_CA_BUNDLE: input.caFile, GIT_SSL_CAINFO: input.caFile,
    });
  });

  it('renders POSIX, PowerShell and cmd with correct quoting', () => {
    const s = environmentScripts({ ...input, noProxy: ['example.com'] });
    expect(s.posix).toContain(`export SSL_CERT_FILE='/home/o'\\''neil/ca cert.pem'\n`);
    expect(s.posix).toContain(`export http_proxy='http://127.0.0.1:8081'\n`);
    expect(s.powershell).toContain(`$env:SSL_CERT_FILE = '/home/o''neil/ca cert.pem'\n`);
    expect(s.powershell).not.toContain('$env:http_proxy');
    expect(s.cmd).toContain(`set "NO_PROXY=example.com"\r\n`);
    expect(s.cmd).toContain(`set "HTTPS_PROXY=http://127.0.0.1:8081"\r\n`);
  });
});

describe('chromium launch args', () => {
  it('isolated profile, proxy incl. loopback, SPKI pin of our CA, no first-run', async () => {
    const PEM = (await generateCa(new Date())).certPem;
    const args = chromiumArgs({ proxyUrl: 'http://127.0.0.1:8081', caCertPem: PEM, userDataDir: '/tmp/p', startUrl: 'https://example.com/' });
    expect(args.slice(0, 5)).toEqual([
      '--user-data-dir=/tmp/p',
      '--proxy-server=http://127.0.0.1:8081',
      '--proxy-bypass-list=<-loopback>',
      `--ignore-certificate-errors-spki-list=${spkiSha256Pin(PEM)}`,
      '--no-first-run',
    ]);
    expect(args.at(-1)).toBe('https://example.com/');
  });
});

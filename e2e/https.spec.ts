/**
 * Seeing inside HTTPS from the UI: Settings generates the CA, shows its fingerprint, plans a trust-store install
 * (dry run only: a real install changes the machine and is covered by the server's integration tests) and
 * downloads the PEM; a forward session with "Decrypt HTTPS" records a real curl's HTTPS exchange in full.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { api } from './fixtures/headless-server.js';
import { SECURE_MARKER, startHttpsUpstream, type HttpsUpstream } from './fixtures/https-upstream.js';
import { RecorderPage } from './fixtures/recorder-page.js';
import { expect, test } from './fixtures/test.js';

const execFileAsync = promisify(execFile);

interface CaStatus {
  exists: boolean;
  sha256: string;
  subject: string;
  certPath: string;
}

/** curl's environment without proxy variables: `-x` must be the only proxy, and NO_PROXY must not skip it. */
function curlEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) if (/^(https?_proxy|all_proxy|no_proxy)$/i.test(name)) delete env[name];
  return env;
}

let upstream: HttpsUpstream;
test.beforeAll(async () => {
  upstream = await startHttpsUpstream();
});
test.afterAll(async () => {
  await upstream?.close();
});

test('Settings: generate the CA, see its fingerprint, plan a trust-store install, download the PEM, see the system proxy; then decrypt a real HTTPS exchange', async ({ recorder, appTarget }, testInfo) => {
  test.skip(appTarget === 'electron', 'checks the UI against the headless server’s REST answers');
  await recorder.open();
  const ui = new RecorderPage(recorder.page);
  const server = recorder.server();

  // --- Settings: the CA ---
  await ui.byTestId('settings-open').click();
  await expect(ui.byTestId('settings-dialog')).toBeVisible();
  await expect(ui.byTestId('ca-status')).toHaveAttribute('data-state', 'missing');
  await ui.byTestId('ca-generate').click();
  await expect(ui.byTestId('ca-status')).toHaveAttribute('data-state', 'exists');
  const ca = await api<CaStatus>(server, 'GET', '/ca/status');
  expect(ca.exists).toBe(true);
  await expect(ui.byTestId('ca-fingerprint')).toHaveText(ca.sha256.match(/.{2}/g)!.join(':'));
  await expect(ui.byTestId('ca-subject')).toHaveText(ca.subject);
  await expect(ui.byTestId('ca-validity')).toContainText('→');
  await expect(ui.byTestId('ca-generate')).toBeDisabled();

  // --- A dry run shows exactly the commands the server plans; nothing is installed. ---
  await expect(ui.byTestId('trust-status')).not.toHaveAttribute('data-installed', 'unknown');
  const plan = await api<{ steps: { display: string[] }[] }>(server, 'POST', '/ca/trust/install', { dryRun: true, scope: 'user' });
  await ui.byTestId('trust-scope').selectOption('user');
  await ui.byTestId('trust-dry-run').click();
  const result = ui.byTestId('trust-result');
  await expect(result).toHaveAttribute('data-dry-run', 'true');
  await expect(result).toContainText('Dry run');
  const lines = plan.steps.flatMap((s) => s.display);
  if (lines.length > 0) {
    await expect(ui.byTestId('trust-command')).toHaveText(lines);
  } else {
    await expect(result).toContainText('nothing to install');
  }

  // --- Download: the PEM is the CA certificate in the data dir, and only that. ---
  const downloading = recorder.page.waitForEvent('download');
  await ui.byTestId('ca-download').click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('traffic-recorder-ca.pem');
  const pemPath = testInfo.outputPath('traffic-recorder-ca.pem');
  await download.saveAs(pemPath);
  const pem = fs.readFileSync(pemPath, 'utf8');
  expect(pem).toMatch(/^-----BEGIN CERTIFICATE-----/);
  expect(pem).not.toMatch(/PRIVATE KEY/);
  expect(pem.trim()).toBe(fs.readFileSync(path.join(server.dataDir, 'ca', 'ca-cert.pem'), 'utf8').trim());

  // --- The system proxy switch shows what the machine says (a desktop backend, or plainly why there is none). ---
  const proxyAnswer = await fetch(`${server.url}/api/v1/recorder/system-proxy`, { headers: { Authorization: `Bearer ${server.token}` } });
  const proxyJson = (await proxyAnswer.json()) as { backend?: string; ours?: boolean; error?: string; code?: string };
  if (proxyAnswer.ok) {
    await expect(ui.byTestId('system-proxy-status')).toHaveAttribute('data-ours', String(proxyJson.ours));
    await expect(ui.byTestId('system-proxy-status')).toContainText(`${proxyJson.backend}:`);
  } else {
    expect(proxyAnswer.status).toBe(400);
    expect(proxyJson.code).toBe('not_supported');
    await expect(ui.byTestId('system-proxy-status')).toHaveAttribute('data-state', 'error');
    await expect(ui.byTestId('system-proxy-error')).toHaveText(`Not supported on this machine: ${proxyJson.error}`);
    await expect(ui.byTestId('system-proxy-on')).toBeDisabled();
  }
  await ui.byTestId('settings-close').click();
  await expect(ui.byTestId('settings-dialog')).toBeHidden();

  // --- A forward session that decrypts HTTPS and accepts the self-signed staging upstream. ---
  await ui.byTestId('new-session-button').click();
  await ui.byTestId('new-session-name').fill('https-mitm');
  // The radio sits under its segmented-control label: click what a person clicks.
  await ui.byTestId('new-session-mode-forward').locator('xpath=..').click();
  await expect(ui.byTestId('new-session-mode-forward')).toBeChecked();
  await ui.byTestId('new-session-mitm').check();
  await ui.byTestId('new-session-ignore-cert').check();
  await ui.byTestId('new-session-submit').click();
  await expect(ui.byTestId('new-session-dialog')).toBeHidden();
  const item = ui.byTestId('session-item').filter({ hasText: 'https-mitm' });
  await expect(item).toHaveAttribute('data-status', 'running');
  const { sessions } = await api<{ sessions: { id: string; name: string; proxyUrl: string; mitm?: { enabled: boolean }; ignoreUpstreamCertErrors?: boolean }[] }>(server, 'GET', '/sessions');
  const session = sessions.find((s) => s.name === 'https-mitm')!;
  expect(session).toMatchObject({ mitm: { enabled: true }, ignoreUpstreamCertErrors: true });
  await expect(ui.byTestId('stream-state')).toHaveAttribute('data-state', 'open');

  // The connect panel: the environment block with the proxy and the CA file, per shell.
  const caFile = path.join(server.dataDir, 'ca', 'ca-cert.pem');
  await expect(ui.byTestId('connect-env')).toContainText(`export NODE_EXTRA_CA_CERTS='${caFile}'`);
  await expect(ui.byTestId('connect-env')).toContainText(`export HTTPS_PROXY='${session.proxyUrl}'`);
  await ui.byTestId('connect-env-tab-powershell').click();
  await expect(ui.byTestId('connect-env')).toContainText(`$env:NODE_EXTRA_CA_CERTS = '${caFile}'`);
  await ui.byTestId('connect-env-tab-cmd').click();
  await expect(ui.byTestId('connect-env')).toContainText(`set "NODE_EXTRA_CA_CERTS=${caFile}"`);
  await expect(ui.byTestId('connect-open-browser')).toBeVisible();
  await expect(ui.byTestId('connect-https-hint')).toContainText('HTTPS is decrypted');

  // Real curl through the proxy, trusting the downloaded CA: it sees the upstream's answer through our certificate.
  const { stdout } = await execFileAsync(
    'curl',
    ['-sS', '--max-time', '20', '-x', session.proxyUrl, '--cacert', pemPath, `${upstream.url}/secure?from=e2e`],
    { env: curlEnv() },
  );
  expect(stdout).toContain(SECURE_MARKER);

  // The decrypted exchange is a full row: body, TLS timing to the upstream, and the self-signed warning.
  await expect(ui.row('/secure?from=e2e')).toBeVisible();
  await ui.openRow('/secure?from=e2e');
  await expect(ui.byTestId('detail-request-line')).toContainText(`https://localhost:${upstream.port}/secure?from=e2e`);
  await expect(ui.byTestId('detail-status-line')).toContainText('200');
  await expect(ui.byTestId('detail-upstream-cert-ignored')).toBeVisible();
  await expect(ui.byTestId('body-response')).toContainText(SECURE_MARKER);
  await ui.byTestId('detail-tab-timing').click();
  await expect(ui.byTestId('timing-tls')).toBeVisible();
  await expect(ui.byTestId('timing-tls')).not.toContainText('did not happen');
  await expect(ui.byTestId('timing-tls').locator('.wf-bar')).toBeVisible();

  // A client that does not trust the CA: curl refuses our certificate, and the entry says why in plain words.
  const refused = await execFileAsync('curl', ['-sS', '--max-time', '20', '-x', session.proxyUrl, `${upstream.url}/secure?from=untrusting`], { env: curlEnv() }).then(
    () => 0,
    (e: { code?: number }) => e.code ?? 1,
  );
  expect(refused).not.toBe(0);
  const hintRow = ui.rows().filter({ hasText: 'CONNECT' }).first();
  await expect(hintRow).toBeVisible();
  await hintRow.click();
  // Host only: the engine records such a hint with port 443 whatever the CONNECT said (mockttp's tls-client-error
  // carries no destination port; reported to the engine side).
  await expect(ui.byTestId('detail-request-line')).toContainText('CONNECTlocalhost:');
  const hint = ui.byTestId('detail-exchange-error');
  await expect(hint).toContainText('does not trust the Traffic Recorder CA');
  await expect(hint).toContainText(/CLIENT_(REJECTED_CERT|TLS_FAILED)/);
});

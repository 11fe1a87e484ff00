/**
 * The operations that change the machine rather than a session: the install CA, the OS trust store and the
 * system proxy, plus the copyable per-app setup. Part of the engine, so the REST adapter and the desktop shell both use
 * it without either importing the other.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../../../src-shared/errors.js';
import type { ParsedInputOf } from '../../../src-shared/contract.js';
import type { CaInfo } from '../../../src-shared/machine.js';
import { CertificateAuthority } from '../ca/index.js';
import type { Recorder } from '../sessions/recorder.js';
import {
  OsIntegrationError,
  chromiumArgs,
  chromiumExecutableCandidates,
  createSystemProxy,
  createTrustStore,
  environmentScripts,
  proxyEnvironment,
  type SystemProxy,
} from '../../os/index.js';
import { readSavedState, stateFilePath } from '../../os/system-proxy/index.js';
import { caErrorToApi } from '../ca-storage-errors.js';
import { BrowserLauncher, type BrowserLauncherOptions } from '../../os/app-setup/index.js';

export function osErrorToApi(e: unknown): never {
  if (e instanceof OsIntegrationError) {
    switch (e.code) {
      case 'ELEVATION_REFUSED':
        throw new ApiError('forbidden', `${e.message} (administrator rights were refused)`);
      case 'TOOL_MISSING':
      case 'UNSUPPORTED':
        throw new ApiError('not_supported', e.message);
      default:
        throw new ApiError('internal', e.message);
    }
  }
  throw e;
}

export class MachineServices {
  private systemProxy: Promise<SystemProxy> | undefined;
  private readonly browsers: BrowserLauncher;

  constructor(
    private readonly dataDir: string,
    private readonly recorder: Recorder,
    private readonly certificateAuthority: () => Promise<CertificateAuthority>,
    browserOptions: BrowserLauncherOptions = {},
  ) {
    this.browsers = new BrowserLauncher(browserOptions);
  }

  caStatus(): Promise<CaInfo | { exists: false }> {
    return CertificateAuthority.statusOf(this.dataDir).catch((e: unknown) => {
      throw caErrorToApi(this.dataDir, e, 'read');
    });
  }

  async caGenerate(): Promise<{ created: boolean; ca: CaInfo }> {
    const before = await this.caStatus();
    const ca = await this.certificateAuthority();
    return { created: !before.exists, ca: ca.status() };
  }

  async caCertificate(): Promise<string> {
    const status = await this.caStatus();
    if (!status.exists) throw new ApiError('not_found', 'no CA has been generated yet: POST /api/v1/recorder/ca/generate first');
    return (await this.certificateAuthority()).certPem;
  }

  private async trustStore() {
    const status = await this.caStatus();
    if (!status.exists) throw new ApiError('not_found', 'no CA has been generated yet: POST /api/v1/recorder/ca/generate first');
    return createTrustStore(await this.certificateAuthority());
  }

  async trustStatus() {
    return (await this.trustStore()).status().catch(osErrorToApi);
  }

  /** Inputs arrive validated (the transports parse them with the operation table's schemas). */
  async trustChange(op: 'install' | 'uninstall', opts: ParsedInputOf<'trustInstall'>) {
    const store = await this.trustStore();
    return (op === 'install' ? store.install(opts) : store.uninstall(opts)).catch(osErrorToApi);
  }

  private proxyControl(): Promise<SystemProxy> {
    this.systemProxy ??= createSystemProxy(this.dataDir).catch((e: unknown) => {
      this.systemProxy = undefined;
      throw e;
    });
    return this.systemProxy.catch(osErrorToApi);
  }

  async systemProxyStatus() {
    return (await this.proxyControl()).status().catch(osErrorToApi);
  }

  async systemProxyOn(input: ParsedInputOf<'systemProxyOn'>) {
    const { session } = await this.recorder.getSession({ id: input.sessionId });
    if (session.mode !== 'forward') throw new ApiError('bad_request', 'sessionId: the system proxy needs a forward-proxy session', 'sessionId');
    if (session.status !== 'running') throw new ApiError('conflict', `session ${session.id} is not running`);
    const url = new URL(session.proxyUrl);
    const control = await this.proxyControl();
    return control.on({ host: url.hostname, port: Number(url.port), ...(input.bypass ? { bypass: input.bypass } : {}) }, { dryRun: input.dryRun }).catch(osErrorToApi);
  }

  async systemProxyOff(input: ParsedInputOf<'systemProxyOff'>) {
    return (await this.proxyControl()).off({ dryRun: input.dryRun }).catch(osErrorToApi);
  }

  /** Put back what we changed if the last run ended without doing so (crash, kill). */
  async recoverSystemProxy(): Promise<boolean> {
    if (!(await readSavedState(stateFilePath(this.dataDir)).catch(() => null))) return false;
    return (await this.proxyControl()).recoverAfterCrash();
  }

  /**
   * "Open a browser through this session": Chromium with a throwaway profile, the session as its proxy and our
   * CA's SPKI pin, so interception works at once with no trust-store change. One per session: asking again hands
   * back the open one. The profile is removed when it exits; all of them are stopped by close().
   */
  async openBrowser(id: string, input: Omit<ParsedInputOf<'openBrowser'>, 'id'>) {
    const { session } = await this.recorder.getSession({ id });
    if (session.status !== 'running') throw new ApiError('conflict', `session ${id} is not running`);
    const executable = process.env.TRAFFIC_RECORDER_BROWSER || chromiumExecutableCandidates().find((p) => fs.existsSync(p));
    if (!executable) {
      throw new ApiError('not_supported', `no Chromium-family browser found (looked in ${chromiumExecutableCandidates().join(', ')}); set TRAFFIC_RECORDER_BROWSER`);
    }
    const ca = await this.certificateAuthority();
    const extraArgs = input.headless ? ['--headless', '--disable-gpu', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])] : [];
    return this.browsers.launch(session.id, executable, (userDataDir) =>
      chromiumArgs({ proxyUrl: session.proxyUrl, caCertPem: ca.certPem, userDataDir, ...(input.url ? { startUrl: input.url } : {}), extraArgs }),
    );
  }

  /** Stop what this process started on the machine: the browsers. */
  close(): Promise<void> {
    return this.browsers.stopAll();
  }

  /** Copyable setup for one session: environment blocks and the Chromium command line. */
  async sessionSetup(id: string) {
    const { session } = await this.recorder.getSession({ id });
    const status = await this.caStatus();
    const caFile = status.exists ? status.certPath : path.join(this.dataDir, 'ca', 'ca-cert.pem');
    const input = { proxyUrl: session.proxyUrl, caFile };
    const ca = status.exists ? await this.certificateAuthority() : undefined;
    // A reverse session is not a proxy: apps call it directly instead of their upstream, so no proxy variables.
    const forward = session.mode === 'forward';
    return {
      session: { id: session.id, mode: session.mode, proxyUrl: session.proxyUrl },
      caGenerated: status.exists,
      environment: forward ? proxyEnvironment(input) : {},
      scripts: forward ? environmentScripts(input) : { posix: '', powershell: '', cmd: '' },
      chromium: ca && forward
        ? chromiumArgs({ proxyUrl: session.proxyUrl, caCertPem: ca.certPem, userDataDir: '<temporary profile>' })
        : undefined,
      curl:
        session.mode === 'reverse'
          ? `curl ${session.proxyUrl}/`
          : `curl -x ${session.proxyUrl}${status.exists ? ` --cacert ${caFile}` : ''} https://example.com/`,
    };
  }
}

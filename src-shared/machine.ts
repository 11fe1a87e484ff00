/**
 * The machine-level operations (install CA, OS trust store, system proxy, per-session setup, open a browser)
 * as they cross the API: their parameters and the JSON they answer with (the operation table in contract.ts
 * names them). Pure TS. The engine's `engineOperations` returns what MachineServices answers as these types, so a
 * drift between the two is a compile error.
 */
import type { z } from 'zod';
import type { openBrowserSchema, systemProxyOffSchema, systemProxyOnSchema, trustOperationSchema } from './schemas.js';

export type TrustOperationInput = z.input<typeof trustOperationSchema>;
export type SystemProxyOnInput = z.input<typeof systemProxyOnSchema>;
export type SystemProxyOffInput = z.input<typeof systemProxyOffSchema>;
export type OpenBrowserInput = z.input<typeof openBrowserSchema>;

// GET /ca/status, POST /ca/generate

export interface CaInfo {
  exists: true;
  subject: string;
  commonName: string;
  keyAlgorithm: 'ECDSA P-256';
  /** ISO 8601. */
  notBefore: string;
  notAfter: string;
  expired: boolean;
  /** Where the certificate (never the key) lives on the machine the engine runs on. */
  certPath: string;
  /** Upper-case hex of the DER certificate. */
  sha256: string;
  sha1: string;
  /** Base64 SHA-256 of the SubjectPublicKeyInfo (Chromium's SPKI pin). */
  spkiSha256: string;
  serialHex: string;
}

export type CaStatusResponse = CaInfo | { exists: false };

export interface CaGenerateResponse {
  /** False when a CA already existed (it is never replaced). */
  created: boolean;
  ca: CaInfo;
}

// GET /ca/trust, POST /ca/trust/install|uninstall

export type OsPlatformName = 'linux' | 'darwin' | 'win32';
export type TrustScope = 'user' | 'system' | 'all';

export interface TrustTargetStatus {
  /** e.g. `system:debian`, `nss:/home/u/.pki/nssdb`, `keychain:…`, `certstore:user` */
  target: string;
  scope: 'user' | 'system';
  /** null: cannot tell (tool missing). */
  installed: boolean | null;
  detail?: string;
}

export interface TrustStatusResponse {
  platform: OsPlatformName;
  /** True when every reachable target of the default scope has the CA. */
  installed: boolean;
  targets: TrustTargetStatus[];
}

export interface OsCommand {
  file: string;
  args: string[];
  note?: string;
  allowFailure?: boolean;
  env?: Record<string, string>;
}

export interface TrustStep {
  target: string;
  scope: 'user' | 'system';
  commands: OsCommand[];
  /** Runs through pkexec / osascript / UAC. */
  elevated: boolean;
  /** The exact command lines, copy-pasteable. */
  display: string[];
}

export interface TrustResult {
  op: 'install' | 'uninstall';
  dryRun: boolean;
  steps: TrustStep[];
  skipped: { target: string; reason: string }[];
  /** Status after the change; absent on dry runs. */
  status?: TrustStatusResponse;
}

// GET /system-proxy, POST /system-proxy/on|off

export type ProxyBackendId = 'gnome' | 'kde' | 'macos' | 'windows';

export interface ProxyTarget {
  host: string;
  port: number;
  bypass?: string[];
}

export interface ProxySettingsView {
  enabled: boolean;
  http?: { host: string; port: number };
  https?: { host: string; port: number };
  bypass: string[];
}

export interface SystemProxyStatusResponse {
  backend: ProxyBackendId;
  current: ProxySettingsView;
  /** The OS points at the proxy we set. */
  ours: boolean;
  /** We changed the settings and have not restored them yet. */
  pendingRestore: boolean;
  savedProxy?: ProxyTarget;
}

export interface ProxyChangeResult {
  dryRun: boolean;
  backend: ProxyBackendId;
  /** Read-only queries (run even on dry runs). */
  reads: string[];
  /** The changing commands, copy-pasteable. */
  commands: string[];
  stateFile: string;
}

export interface ProxyOffResult extends ProxyChangeResult {
  /** False when there was nothing to restore. */
  restored: boolean;
}

// GET /:id/setup, POST /:id/open-browser

export type ShellKind = 'posix' | 'powershell' | 'cmd';

export interface SessionSetupResponse {
  session: { id: string; mode: 'reverse' | 'forward'; proxyUrl: string };
  caGenerated: boolean;
  /** HTTP_PROXY, HTTPS_PROXY, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, … */
  environment: Record<string, string>;
  /** The same variables as a paste-able block per shell. */
  scripts: Record<ShellKind, string>;
  /** Chromium arguments (proxy + SPKI pin); absent until the CA exists. */
  chromium?: string[];
  curl: string;
}

export interface OpenBrowserResponse {
  pid?: number;
  /** The session's browser was already open: it was handed back, not started again. */
  reused?: boolean;
  executable: string;
  args: string[];
  profileDir: string;
}

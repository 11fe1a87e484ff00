export interface ProxyEnvInput {
  /** e.g. http://127.0.0.1:8081 */
  proxyUrl: string;
  /** Absolute path of the CA certificate PEM (CertificateAuthority#certPath). */
  caFile: string;
  /** Hosts that bypass the proxy (NO_PROXY); omitted when empty. */
  noProxy?: string[];
}

export type ShellKind = 'posix' | 'powershell' | 'cmd';

/**
 * Variables that point common runtimes at the proxy and our CA. Note SSL_CERT_FILE, REQUESTS_CA_BUNDLE,
 * CURL_CA_BUNDLE and GIT_SSL_CAINFO REPLACE the default roots: fine for traffic through the MITM proxy,
 * but NO_PROXY hosts then see only our CA. NODE_EXTRA_CA_CERTS adds to Node's roots instead.
 */
export function proxyEnvironment(input: ProxyEnvInput): Record<string, string> {
  const url = new URL(input.proxyUrl); // throws early on a malformed URL
  const proxy = url.href.replace(/\/$/, '');
  const vars: Record<string, string> = {
    HTTP_PROXY: proxy,
    HTTPS_PROXY: proxy,
    // curl and wget only read the lower-case http_proxy.
    http_proxy: proxy,
    https_proxy: proxy,
    NODE_EXTRA_CA_CERTS: input.caFile,
    SSL_CERT_FILE: input.caFile,
    REQUESTS_CA_BUNDLE: input.caFile,
    CURL_CA_BUNDLE: input.caFile,
    GIT_SSL_CAINFO: input.caFile,
  };
  if (input.noProxy?.length) {
    vars.NO_PROXY = input.noProxy.join(',');
    vars.no_proxy = vars.NO_PROXY;
  }
  return vars;
}

const posixQuote = (v: string): string => `'${v.replace(/'/g, `'\\''`)}'`;
const psQuote = (v: string): string => `'${v.replace(/'/g, "''")}'`;

/** A paste-able block for the given shell. cmd.exe: `set "NAME=value"` keeps spaces and `&` literal. */
export function formatEnvironment(vars: Record<string, string>, shell: ShellKind): string {
  const entries = Object.entries(vars);
  // cmd.exe and PowerShell env names are case-insensitive: drop lower-case duplicates there.
  const forShell = shell === 'posix' ? entries : entries.filter(([k]) => k === k.toUpperCase() || !(k.toUpperCase() in vars));
  switch (shell) {
    case 'posix': return forShell.map(([k, v]) => `export ${k}=${posixQuote(v)}`).join('\n') + '\n';
    case 'powershell': return forShell.map(([k, v]) => `$env:${k} = ${psQuote(v)}`).join('\n') + '\n';
    case 'cmd': return forShell.map(([k, v]) => `set "${k}=${v.replace(/"/g, '')}"`).join('\r\n') + '\r\n';
  }
}

export function environmentScripts(input: ProxyEnvInput): Record<ShellKind, string> {
  const vars = proxyEnvironment(input);
  return { posix: formatEnvironment(vars, 'posix'), powershell: formatEnvironment(vars, 'powershell'), cmd: formatEnvironment(vars, 'cmd') };
}

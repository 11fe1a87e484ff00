import type { SessionSetupResponse, ShellKind } from '../../../src-shared/machine.js';
import type { Session } from '../../../src-shared/model.js';

export const SHELL_TABS: readonly { shell: ShellKind; label: string }[] = [
  { shell: 'posix', label: 'bash / zsh' },
  { shell: 'powershell', label: 'PowerShell' },
  { shell: 'cmd', label: 'cmd' },
];

/** What to say under the environment block, if anything. */
export function setupHint(setup: Pick<SessionSetupResponse, 'caGenerated'>): string | null {
  return setup.caGenerated ? null : 'The CA file does not exist yet: generate it in Settings (⚙), or start a session with “Decrypt HTTPS”.';
}

/** The one-line note under a forward session's instructions. */
export function forwardHint(session: Pick<Session, 'mitm'>): string {
  if (!session.mitm?.enabled) return 'HTTPS goes through as CONNECT tunnels (host and sizes recorded, not contents).';
  const only = session.mitm.includeHosts?.length ? ` for ${session.mitm.includeHosts.join(', ')}` : '';
  const except = session.mitm.excludeHosts?.length ? ` except ${session.mitm.excludeHosts.join(', ')}` : '';
  return `HTTPS is decrypted${only}${except} with the Traffic Recorder CA: clients must trust it (the environment block points them at its file).`;
}

/** What to paste where to send traffic through a session, as exact text. */
export function connectInstructions(session: Pick<Session, 'mode' | 'proxyUrl'>): { setup: string; tryIt: string } {
  if (session.mode === 'reverse') {
    return { setup: session.proxyUrl, tryIt: `curl -i ${session.proxyUrl}/` };
  }
  return {
    setup: `HTTP_PROXY=${session.proxyUrl}\nHTTPS_PROXY=${session.proxyUrl}`,
    tryIt: `curl -i -x ${session.proxyUrl} http://example.com/`,
  };
}

import type { Command, CommandRunner } from '../runner.js';
import { DEFAULT_BYPASS, type ProxyBackend, type ProxySettingsView, type ProxyTarget } from './types.js';

export const INTERNET_SETTINGS_KEY = 'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings';

export interface RegValue { type: 'REG_DWORD' | 'REG_SZ' | 'REG_EXPAND_SZ'; data: string }
/** AutoConfigURL is saved too: a PAC URL overrides the manual proxy, so we clear it while on. */
export const WIN_VALUES = ['ProxyEnable', 'ProxyServer', 'ProxyOverride', 'AutoConfigURL'] as const;
export type WinValueName = (typeof WIN_VALUES)[number];
export type WinSnapshot = Record<WinValueName, RegValue | null>;

/** `reg query KEY /v NAME` prints `    NAME    REG_TYPE    DATA`; exit 1 when absent. */
export function parseRegQuery(output: string, name: string): RegValue | null {
  for (const line of output.split(/\r?\n/)) {
    const m = /^\s+(\S+)\s+(REG_DWORD|REG_SZ|REG_EXPAND_SZ)\s*(.*)$/.exec(line);
    if (m && m[1]!.toLowerCase() === name.toLowerCase()) {
      const type = m[2] as RegValue['type'];
      const raw = m[3]!.trim();
      // reg prints DWORDs in hex (0x1); reg add takes decimal.
      return { type, data: type === 'REG_DWORD' ? String(Number.parseInt(raw, 16)) : raw };
    }
  }
  return null;
}

const regAdd = (name: string, type: RegValue['type'], data: string): Command =>
  ({ file: 'reg', args: ['add', INTERNET_SETTINGS_KEY, '/v', name, '/t', type, '/d', data, '/f'] });
const regDelete = (name: string): Command =>
  ({ file: 'reg', args: ['delete', INTERNET_SETTINGS_KEY, '/v', name, '/f'], allowFailure: true });

/** WinINet caches the settings per process: 39 = SETTINGS_CHANGED, 37 = REFRESH make running apps re-read them. */
export const WININET_NOTIFY_SCRIPT =
  "$s = Add-Type -Name WinInet -Namespace TrafficRecorder -PassThru -MemberDefinition '[DllImport(\"wininet.dll\", SetLastError = true)] public static extern bool InternetSetOption(IntPtr h, int o, IntPtr b, int l);'; "
  + '[void]$s::InternetSetOption([IntPtr]::Zero, 39, [IntPtr]::Zero, 0); [void]$s::InternetSetOption([IntPtr]::Zero, 37, [IntPtr]::Zero, 0)';

export function winNotifyCommand(): Command {
  return { file: 'powershell.exe', args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', WININET_NOTIFY_SCRIPT], note: 'notify WinINet' };
}

export class WindowsProxyBackend implements ProxyBackend<WinSnapshot> {
  readonly id = 'windows' as const;

  readCommands(): Command[] {
    return WIN_VALUES.map((name) => ({ file: 'reg', args: ['query', INTERNET_SETTINGS_KEY, '/v', name] }));
  }

  async read(run: CommandRunner): Promise<WinSnapshot> {
    const snap = {} as WinSnapshot;
    for (const cmd of this.readCommands()) {
      const name = cmd.args.at(-1) as WinValueName;
      const res = await run(cmd);
      snap[name] = res.code === 0 ? parseRegQuery(res.stdout, name) : null;
    }
    return snap;
  }

  view(s: WinSnapshot): ProxySettingsView {
    const server = s.ProxyServer?.data ?? '';
    const pick = (scheme: string) => {
      // Either "host:port" for all protocols or "http=h:p;https=h:p".
      const part = server.includes('=') ? server.split(';').find((p) => p.startsWith(`${scheme}=`))?.slice(scheme.length + 1) : server;
      const m = part ? /^(.*):(\d+)$/.exec(part) : null;
      return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
    };
    return {
      enabled: s.ProxyEnable?.data === '1',
      http: pick('http'),
      https: pick('https'),
      bypass: (s.ProxyOverride?.data ?? '').split(';').filter(Boolean),
    };
  }

  applyCommands(proxy: ProxyTarget, current: WinSnapshot): Command[] {
    const hp = `${proxy.host.includes(':') ? `[${proxy.host}]` : proxy.host}:${proxy.port}`;
    return [
      regAdd('ProxyServer', 'REG_SZ', `http=${hp};https=${hp}`),
      regAdd('ProxyOverride', 'REG_SZ', (proxy.bypass ?? DEFAULT_BYPASS).join(';')),
      ...(current.AutoConfigURL ? [regDelete('AutoConfigURL')] : []),
      regAdd('ProxyEnable', 'REG_DWORD', '1'),
      winNotifyCommand(),
    ];
  }

  restoreCommands(saved: WinSnapshot): Command[] {
    const cmds = WIN_VALUES.map((name) => {
      const v = saved[name];
      return v ? regAdd(name, v.type, v.data) : regDelete(name);
    });
    return [...cmds, winNotifyCommand()];
  }
}

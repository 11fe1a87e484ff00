import type { Command, CommandRunner } from '../runner.js';
import { DEFAULT_BYPASS, type ProxyBackend, type ProxySettingsView, type ProxyTarget } from './types.js';

export const KDE_KEYS = ['ProxyType', 'httpProxy', 'httpsProxy', 'NoProxyFor'] as const;
export type KdeKey = (typeof KDE_KEYS)[number];
/** null: the key was absent (kreadconfig prints nothing), restored by deleting it. */
export type KdeSnapshot = Record<KdeKey, string | null>;

const FILE_GROUP = ['--file', 'kioslaverc', '--group', 'Proxy Settings'];

/** KIO's own format: scheme://host, a space, the port. */
export function kdeProxyValue(host: string, port: number): string {
  return `http://${host} ${port}`;
}

export function kdeReparseCommand(): Command {
  return {
    file: 'dbus-send',
    args: ['--type=signal', '/KIO/Scheduler', 'org.kde.KIO.Scheduler.reparseSlaveConfiguration', "string:''"],
    note: 'tell running KDE apps to reload proxy settings',
    allowFailure: true, // no session bus (e.g. over ssh): settings still apply to newly started apps
  };
}

export class KdeProxyBackend implements ProxyBackend<KdeSnapshot> {
  readonly id = 'kde' as const;

  /** @param version 6 for Plasma 6 (kwriteconfig6), 5 for Plasma 5. */
  constructor(private readonly version: 5 | 6) {}

  private get write(): string {
    return `kwriteconfig${this.version}`;
  }

  private get readTool(): string {
    return `kreadconfig${this.version}`;
  }

  readCommands(): Command[] {
    return KDE_KEYS.map((key) => ({ file: this.readTool, args: [...FILE_GROUP, '--key', key] }));
  }

  async read(run: CommandRunner): Promise<KdeSnapshot> {
    const snap = {} as KdeSnapshot;
    for (const cmd of this.readCommands()) {
      const res = await run(cmd);
      const value = res.code === 0 ? res.stdout.replace(/\n$/, '') : '';
      snap[cmd.args.at(-1) as KdeKey] = value === '' ? null : value;
    }
    return snap;
  }

  view(s: KdeSnapshot): ProxySettingsView {
    const parse = (v: string | null) => {
      const m = v ? /^(?:\w+:\/\/)?([^\s:]+|\[[^\]]+\])[\s:](\d+)$/.exec(v.trim()) : null;
      return m ? { host: m[1]!, port: Number(m[2]) } : undefined;
    };
    return {
      enabled: s.ProxyType === '1',
      http: parse(s.httpProxy),
      https: parse(s.httpsProxy),
      bypass: (s.NoProxyFor ?? '').split(',').map((x) => x.trim()).filter(Boolean),
    };
  }

  private set(key: KdeKey, value: string): Command {
    return { file: this.write, args: [...FILE_GROUP, '--key', key, value] };
  }

  applyCommands(proxy: ProxyTarget): Command[] {
    const value = kdeProxyValue(proxy.host, proxy.port);
    return [
      this.set('httpProxy', value),
      this.set('httpsProxy', value),
      this.set('NoProxyFor', (proxy.bypass ?? DEFAULT_BYPASS).join(',')),
      this.set('ProxyType', '1'), // 1 = manual
      kdeReparseCommand(),
    ];
  }

  restoreCommands(saved: KdeSnapshot): Command[] {
    const cmds = KDE_KEYS.map((key) => {
      const v = saved[key];
      return v === null ? { file: this.write, args: [...FILE_GROUP, '--key', key, '--delete'] } : this.set(key, v);
    });
    return [...cmds, kdeReparseCommand()];
  }
}

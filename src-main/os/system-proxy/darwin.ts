import type { Command, CommandRunner } from '../runner.js';
import { commandFailed } from '../runner.js';
import { DEFAULT_BYPASS, type ProxyBackend, type ProxySettingsView, type ProxyTarget } from './types.js';

export interface MacProxyEntry { enabled: boolean; server: string; port: number }
export interface MacServiceSnapshot { name: string; web: MacProxyEntry; secure: MacProxyEntry; bypass: string[] }
export interface MacSnapshot { services: MacServiceSnapshot[] }

const ns = (...args: string[]): Command => ({ file: 'networksetup', args });

/** `-listallnetworkservices`: a header line, then names; a leading `*` marks a disabled service. */
export function parseServices(output: string): string[] {
  return output.split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '' && !l.startsWith('An asterisk') && !l.startsWith('*'));
}

/** `-getwebproxy` / `-getsecurewebproxy`: "Enabled: Yes\nServer: h\nPort: 8080\n...". */
export function parseProxyEntry(output: string): MacProxyEntry {
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(output)?.[1]?.trim() ?? '';
  return { enabled: /^yes$/i.test(field('Enabled')), server: field('Server'), port: Number.parseInt(field('Port'), 10) || 0 };
}

/** `-getproxybypassdomains`: one domain per line, or "There aren't any bypass domains set on X." */
export function parseBypass(output: string): string[] {
  if (/There aren't any/i.test(output)) return [];
  return output.split('\n').map((l) => l.trim()).filter(Boolean);
}

export class MacProxyBackend implements ProxyBackend<MacSnapshot> {
  readonly id = 'macos' as const;

  readCommands(): Command[] {
    return [ns('-listallnetworkservices')];
  }

  async read(run: CommandRunner): Promise<MacSnapshot> {
    const q = async (cmd: Command) => {
      const res = await run(cmd);
      if (res.code !== 0) throw commandFailed(cmd, res);
      return res.stdout;
    };
    const services: MacServiceSnapshot[] = [];
    for (const name of parseServices(await q(ns('-listallnetworkservices')))) {
      services.push({
        name,
        web: parseProxyEntry(await q(ns('-getwebproxy', name))),
        secure: parseProxyEntry(await q(ns('-getsecurewebproxy', name))),
        bypass: parseBypass(await q(ns('-getproxybypassdomains', name))),
      });
    }
    return { services };
  }

  view(s: MacSnapshot): ProxySettingsView {
    // The first active service is the one in use on most Macs (service order = priority).
    const first = s.services[0];
    if (!first) return { enabled: false, bypass: [] };
    const entry = (e: MacProxyEntry) => (e.server ? { host: e.server, port: e.port } : undefined);
    return { enabled: first.web.enabled || first.secure.enabled, http: entry(first.web), https: entry(first.secure), bypass: first.bypass };
  }

  applyCommands(proxy: ProxyTarget, current: MacSnapshot): Command[] {
    const port = String(proxy.port);
    const bypass = [...(proxy.bypass ?? DEFAULT_BYPASS)];
    return current.services.flatMap(({ name }) => [
      ns('-setwebproxy', name, proxy.host, port),
      ns('-setsecurewebproxy', name, proxy.host, port),
      ns('-setproxybypassdomains', name, ...(bypass.length ? bypass : ['Empty'])),
      ns('-setwebproxystate', name, 'on'),
      ns('-setsecurewebproxystate', name, 'on'),
    ]);
  }

  restoreCommands(saved: MacSnapshot): Command[] {
    return saved.services.flatMap((svc) => {
      const cmds: Command[] = [];
      // networksetup cannot blank a server; when there was none, switching the proxy off is the exact effect.
      if (svc.web.server) cmds.push(ns('-setwebproxy', svc.name, svc.web.server, String(svc.web.port)));
      if (svc.secure.server) cmds.push(ns('-setsecurewebproxy', svc.name, svc.secure.server, String(svc.secure.port)));
      cmds.push(ns('-setproxybypassdomains', svc.name, ...(svc.bypass.length ? svc.bypass : ['Empty'])));
      cmds.push(ns('-setwebproxystate', svc.name, svc.web.enabled ? 'on' : 'off'));
      cmds.push(ns('-setsecurewebproxystate', svc.name, svc.secure.enabled ? 'on' : 'off'));
      return cmds;
    });
  }
}

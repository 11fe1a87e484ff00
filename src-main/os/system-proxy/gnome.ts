import type { Command, CommandRunner } from '../runner.js';
import { commandFailed } from '../runner.js';
import { DEFAULT_BYPASS, type ProxyBackend, type ProxySettingsView, type ProxyTarget } from './types.js';

/** [schema, key] pairs we touch; the snapshot keeps each one's GVariant text so restore is byte-exact. */
export const GNOME_KEYS = [
  ['org.gnome.system.proxy', 'mode'],
  ['org.gnome.system.proxy', 'ignore-hosts'],
  ['org.gnome.system.proxy.http', 'host'],
  ['org.gnome.system.proxy.http', 'port'],
  ['org.gnome.system.proxy.https', 'host'],
  ['org.gnome.system.proxy.https', 'port'],
] as const;

export type GnomeSnapshot = Record<string, string>;

const id = (schema: string, key: string): string => `${schema} ${key}`;

/** GVariant text for a string: gsettings parses values as GVariant, so quote explicitly. */
export function gvString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function gvStringArray(items: readonly string[]): string {
  return items.length === 0 ? '@as []' : `[${items.map(gvString).join(', ')}]`;
}

/** Reads GVariant text back: 'str' -> str, ['a', 'b'] -> [a, b], 8080 -> 8080. */
export function parseGvString(text: string): string {
  const t = text.trim();
  const m = /^'((?:[^'\\]|\\.)*)'$/.exec(t) ?? /^"((?:[^"\\]|\\.)*)"$/.exec(t);
  return m ? m[1]!.replace(/\\(.)/g, '$1') : t;
}

export function parseGvStringArray(text: string): string[] {
  const t = text.trim().replace(/^@as\s+/, '');
  const out: string[] = [];
  for (const m of t.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)) out.push((m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1'));
  return out;
}

const gset = (schema: string, key: string, value: string): Command => ({ file: 'gsettings', args: ['set', schema, key, value] });

export class GnomeProxyBackend implements ProxyBackend<GnomeSnapshot> {
  readonly id = 'gnome' as const;

  readCommands(): Command[] {
    return GNOME_KEYS.map(([schema, key]) => ({ file: 'gsettings', args: ['get', schema, key] }));
  }

  async read(run: CommandRunner): Promise<GnomeSnapshot> {
    const snap: GnomeSnapshot = {};
    for (const cmd of this.readCommands()) {
      const res = await run(cmd);
      if (res.code !== 0) throw commandFailed(cmd, res);
      snap[id(cmd.args[1]!, cmd.args[2]!)] = res.stdout.trim();
    }
    return snap;
  }

  view(s: GnomeSnapshot): ProxySettingsView {
    const hostPort = (schema: string) => {
      const host = parseGvString(s[id(schema, 'host')] ?? "''");
      const port = Number.parseInt(parseGvString(s[id(schema, 'port')] ?? '0').replace(/^\D+/, ''), 10);
      return host ? { host, port } : undefined;
    };
    return {
      enabled: parseGvString(s[id('org.gnome.system.proxy', 'mode')] ?? "'none'") === 'manual',
      http: hostPort('org.gnome.system.proxy.http'),
      https: hostPort('org.gnome.system.proxy.https'),
      bypass: parseGvStringArray(s[id('org.gnome.system.proxy', 'ignore-hosts')] ?? '@as []'),
    };
  }

  applyCommands(proxy: ProxyTarget): Command[] {
    return [
      gset('org.gnome.system.proxy.http', 'host', gvString(proxy.host)),
      gset('org.gnome.system.proxy.http', 'port', String(proxy.port)),
      gset('org.gnome.system.proxy.https', 'host', gvString(proxy.host)),
      gset('org.gnome.system.proxy.https', 'port', String(proxy.port)),
      gset('org.gnome.system.proxy', 'ignore-hosts', gvStringArray(proxy.bypass ?? DEFAULT_BYPASS)),
      // Mode last: apps never see "manual" pointing at a half-written host/port.
      gset('org.gnome.system.proxy', 'mode', gvString('manual')),
    ];
  }

  restoreCommands(saved: GnomeSnapshot): Command[] {
    // Mode first when restoring, for the same reason in reverse.
    const order = [GNOME_KEYS[0], ...GNOME_KEYS.slice(1)];
    return order
      .filter(([schema, key]) => saved[id(schema, key)] !== undefined)
      .map(([schema, key]) => gset(schema, key, saved[id(schema, key)]!));
  }
}

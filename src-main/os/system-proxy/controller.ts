import { promises as fs } from 'node:fs';
import path from 'node:path';
import { OsIntegrationError } from '../errors.js';
import { commandFailed, formatCommand, type Command, type CommandRunner } from '../runner.js';
import type {
  ProxyBackend, ProxyChange, ProxyOffResult, ProxyTarget, SavedProxyState, SystemProxy, SystemProxyStatus,
} from './types.js';

export const STATE_FILE_NAME = 'system-proxy-state.json';

export function stateFilePath(dataDir: string): string {
  return path.join(dataDir, STATE_FILE_NAME);
}

export async function readSavedState(file: string): Promise<SavedProxyState | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new OsIntegrationError('STATE_FILE', `Cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as SavedProxyState;
    if (parsed.version !== 1 || typeof parsed.backend !== 'string' || parsed.snapshot === undefined) throw new Error('unexpected shape');
    return parsed;
  } catch (e) {
    throw new OsIntegrationError('STATE_FILE', `Saved system-proxy state ${file} is corrupt: ${(e as Error).message}`);
  }
}

/** Write-temp, fsync, rename: the saved state must never be half-written, it is our only way back. */
export async function writeSavedState(file: string, state: SavedProxyState): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify(state, null, 2));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, file);
}

function validate(proxy: ProxyTarget): void {
  if (!proxy.host || /[\s;,]/.test(proxy.host)) throw new TypeError(`invalid proxy host ${JSON.stringify(proxy.host)}`);
  if (!Number.isInteger(proxy.port) || proxy.port < 1 || proxy.port > 65535) throw new TypeError(`invalid proxy port ${proxy.port}`);
}

/** Save-before-change / restore-exactly logic shared by every backend. */
export class SystemProxyController<S> implements SystemProxy {
  readonly stateFile: string;

  constructor(private readonly impl: ProxyBackend<S>, private readonly run: CommandRunner, dataDir: string) {
    this.stateFile = stateFilePath(dataDir);
  }

  get backend(): ProxyBackend<S>['id'] {
    return this.impl.id;
  }

  async on(proxy: ProxyTarget, opts: { dryRun?: boolean } = {}): Promise<ProxyChange> {
    validate(proxy);
    const current = await this.impl.read(this.run);
    const commands = this.impl.applyCommands(proxy, current);
    const change = this.describe(commands, opts.dryRun ?? false);
    if (opts.dryRun) return change;
    const saved = await this.loadSaved();
    // Keep the ORIGINAL snapshot when switching from one session's proxy to another's.
    const snapshot = saved ? (saved.snapshot as S) : current;
    await writeSavedState(this.stateFile, {
      version: 1, backend: this.impl.id, savedAt: saved?.savedAt ?? new Date().toISOString(), snapshot, proxy,
    });
    try {
      await this.runAll(commands);
    } catch (e) {
      // Half-applied settings are worse than none: put back what was there, then report the failure.
      await this.runAll(this.impl.restoreCommands(snapshot)).then(
        () => (saved ? undefined : fs.rm(this.stateFile, { force: true })),
        () => undefined, // keep the file so recoverAfterCrash can try again
      );
      throw e;
    }
    return change;
  }

  async off(opts: { dryRun?: boolean } = {}): Promise<ProxyOffResult> {
    const saved = await this.loadSaved();
    if (!saved) return { ...this.describe([], opts.dryRun ?? false), restored: false };
    const commands = this.impl.restoreCommands(saved.snapshot as S);
    const change = { ...this.describe(commands, opts.dryRun ?? false), reads: [] };
    if (opts.dryRun) return { ...change, restored: false };
    await this.runAll(commands);
    await fs.rm(this.stateFile, { force: true });
    return { ...change, restored: true };
  }

  async recoverAfterCrash(): Promise<boolean> {
    return (await this.off()).restored;
  }

  async status(): Promise<SystemProxyStatus> {
    const current = this.impl.view(await this.impl.read(this.run));
    const saved = await this.loadSaved();
    const p = saved?.proxy;
    const ours = !!p && current.enabled && current.http?.host === p.host && current.http?.port === p.port;
    return { backend: this.impl.id, current, ours, pendingRestore: !!saved, ...(p ? { savedProxy: p } : {}) };
  }

  private async loadSaved(): Promise<SavedProxyState | null> {
    const saved = await readSavedState(this.stateFile);
    if (saved && saved.backend !== this.impl.id) {
      throw new OsIntegrationError('STATE_FILE', `Saved system-proxy state is for ${saved.backend}, this session uses ${this.impl.id}; restore it from there or delete ${this.stateFile}`);
    }
    return saved;
  }

  private describe(commands: Command[], dryRun: boolean): ProxyChange {
    return {
      dryRun, backend: this.impl.id, stateFile: this.stateFile,
      reads: this.impl.readCommands().map(formatCommand), commands: commands.map(formatCommand),
    };
  }

  private async runAll(commands: Command[]): Promise<void> {
    for (const cmd of commands) {
      const res = await this.run(cmd);
      if (res.code !== 0 && !cmd.allowFailure) throw commandFailed(cmd, res);
    }
  }
}

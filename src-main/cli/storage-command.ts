/** `traffic-recorder storage`: what the store holds, per session and in total, against its budgets. */
import Table from 'cli-table3';
import type { Command } from 'commander';
import type { Session, StorageStatus, StorageUsage } from '../../src-shared/model.js';
import type { RestRecorderClient } from './rest-client.js';

type ClientFactory = (cmd: Command) => { api: RestRecorderClient; json: boolean | undefined };

/** What `GET /storage` answers; servers from before usage was reported send the status alone. */
export type StorageAnswer = StorageStatus & { usage?: StorageUsage };

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

export function humanBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toFixed(unit === 0 || value >= 10 ? 0 : 1))} ${UNITS[unit]}`;
}

const count = (n: number) => n.toLocaleString('en-US');
const percent = (used: number, max: number) => (max > 0 ? ` (${Math.floor((used / max) * 100)}%)` : '');
const style = () => (process.stdout.isTTY ? {} : { style: { head: [], border: [] } });

function usageTable(usage: StorageUsage, names: ReadonlyMap<string, string>): string {
  const table = new Table({ ...style(), head: ['SESSION', 'NAME', 'ENTRIES', 'BYTES'], colAligns: ['left', 'left', 'right', 'right'] });
  for (const s of usage.sessions) table.push([s.sessionId, names.get(s.sessionId) ?? '-', count(s.entries), humanBytes(s.bytes)]);
  table.push(['total', '', count(usage.entries), humanBytes(usage.bytes)]);
  return table.toString();
}

/** The human report: state first (a failing store matters most), then the table, then the budgets. */
export function storageReportText(storage: StorageAnswer, sessions: readonly Pick<Session, 'id' | 'name'>[] = []): string {
  const state = storage.state === 'ok' ? 'ok' : `failing since ${storage.since}: ${storage.error ?? 'unknown error'}`;
  const lines = [`Storage: ${state}`, `Dropped bodies: ${count(storage.droppedBodies)}`];
  const usage = storage.usage;
  if (!usage) return [...lines, 'Usage: not reported by this server.'].join('\n');
  lines.push(
    `Evicted by budget: ${count(usage.evicted)}`,
    usageTable(usage, new Map(sessions.map((s) => [s.id, s.name]))),
    `Budgets: ${count(usage.entries)} of ${count(usage.maxEntries)} entries${percent(usage.entries, usage.maxEntries)}, ` +
      `${humanBytes(usage.bytes)} of ${humanBytes(usage.maxBytes)}${percent(usage.bytes, usage.maxBytes)}`,
  );
  return lines.join('\n');
}

export function addStorageCommand(program: Command, withServer: (cmd: Command) => Command, client: ClientFactory): void {
  withServer(program.command('storage'))
    .description('storage usage per session and in total, against the budgets (--json: the StorageReport)')
    .action(async (_o, cmd: Command) => {
      const { api, json } = client(cmd);
      const { storage }: { storage: StorageAnswer } = await api.storage();
      if (json) return void process.stdout.write(`${JSON.stringify(storage, null, 2)}\n`);
      // Names make the table readable; the report itself carries only ids.
      const { sessions } = await api.listSessions();
      process.stdout.write(`${storageReportText(storage, sessions)}\n`);
    });
}

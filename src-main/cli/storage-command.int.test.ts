/** `traffic-recorder storage` as a real child process against a real server with recorded traffic. */
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { Session, StorageStatus, StorageUsage } from '../../src-shared/model.js';
import { runCli } from '../test-support/child.js';
import { serverWithUpstream, TEST_TOKEN } from '../test-support/server.js';
import { humanBytes, storageReportText } from './storage-command.js';

const shared = serverWithUpstream({ limits: { maxEntriesPerSession: 3 } });

const cli = (args: string[]) => runCli(['storage', '--server', shared.server.base, ...args], { TRAFFIC_RECORDER_TOKEN: TEST_TOKEN });

async function waitFor(what: string, probe: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; !(await probe()); tries++) {
    if (tries > 1500) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function record(s: Session, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const res = await request(`${s.proxyUrl}/bytes?size=2000&i=${i}`);
    expect(res.statusCode).toBe(200);
    await res.body.arrayBuffer();
  }
}

const start = async (name: string) => (await shared.server.call('POST', '/start', { targetUrl: shared.upstream.url, name })).json.session as Session;
const entryCount = async (s: Session) => (await shared.server.call('GET', `/${s.id}/entries?bodies=false&limit=1`)).json.total as number;

describe('traffic-recorder storage', () => {
  it('prints usage per session and in total; --json prints the StorageReport', async () => {
    const big = await start('storage big');
    const small = await start('storage small');
    await record(big, 5);
    await record(small, 1);
    await waitFor('entries recorded', async () => (await entryCount(big)) === 3 && (await entryCount(small)) === 1);

    const json = await cli(['--json']);
    expect(json.code, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as StorageStatus & { usage?: StorageUsage };
    expect(report).toMatchObject({ state: 'ok', droppedBodies: 0 });
    // The server half of issue 9 adds `usage`; until it reports it, the human form says so (next test).
    if (!report.usage) return void expect((await cli([])).stdout).toContain('Usage: not reported by this server.');
    const bySession = new Map(report.usage.sessions.map((s) => [s.sessionId, s]));
    expect(bySession.get(big.id)?.entries).toBe(3);
    expect(bySession.get(small.id)?.entries).toBe(1);
    expect(report.usage.entries).toBe(4);
    expect(bySession.get(big.id)!.bytes).toBeGreaterThan(bySession.get(small.id)!.bytes);

    const human = await cli([]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Storage: ok$/m);
    expect(human.stdout).toMatch(new RegExp(`${big.id}.*storage big.*\\b3\\b`));
    expect(human.stdout).toMatch(new RegExp(`${small.id}.*storage small.*\\b1\\b`));
    expect(human.stdout).toMatch(/total.*\b4\b/);
    expect(human.stdout).toMatch(/^Budgets: 4 of [\d,]+ entries \(0%\), .* of .*$/m);
    expect(human.stdout.includes('\u001b[')).toBe(false);
  });

  it('says clearly when the server cannot be reached or refuses the token', async () => {
    const refused = await runCli(['storage', '--server', shared.server.base], { TRAFFIC_RECORDER_TOKEN: 'wrong-token' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^traffic-recorder: /);
  });

  it('words the report for people, with or without usage from the server', () => {
    const status: StorageStatus = { state: 'failing', error: 'ENOSPC: no space left on device', since: '2024-01-01T00:00:00.000Z', droppedBodies: 2, pendingBytes: 0, maxPendingBytes: 1 };
    expect(storageReportText(status)).toBe(
      'Storage: failing since 2024-01-01T00:00:00.000Z: ENOSPC: no space left on device\nDropped bodies: 2\nUsage: not reported by this server.',
    );
    const usage: StorageUsage = { entries: 1200, bytes: 1.7 * 1024 ** 3, maxEntries: 1_000_000, maxBytes: 2 * 1024 ** 3, evicted: 312, sessions: [{ sessionId: 'abc', entries: 1200, bytes: 1.7 * 1024 ** 3 }] };
    const text = storageReportText({ ...status, state: 'ok', usage }, [{ id: 'abc', name: 'Checkout' }]);
    expect(text).toContain('Evicted by budget: 312');
    expect(text).toMatch(/abc.*Checkout.*1,200.*1\.7 GiB/);
    expect(text).toContain('Budgets: 1,200 of 1,000,000 entries (0%), 1.7 GiB of 2 GiB (85%)');
    expect(humanBytes(1536)).toBe('1.5 KiB');
  });
});

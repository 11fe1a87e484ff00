// Throughput of the session log on this machine: append + flush (timer-driven cycles until durable) and a scan
// of the reopened log. Not a test (numbers vary with the machine):
//   node --import tsx src-main/engine/store/segments/test-support/bench-segment-log.ts [megabytes] [dir]
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { openSessionLog } from '../segment-log.js';
import { RecordType } from '../segment-types.js';
import { isBefore } from './segment-fixtures.js';

const megabytes = Number(process.argv[2] ?? 256);
const root = await fsp.mkdtemp(path.join(process.argv[3] ?? os.tmpdir(), 'tr-bench-segments-'));
const entry = Buffer.alloc(2048, 0x65);
const big = Buffer.alloc(20 * 1024, 0x62);
const target = megabytes * 1024 * 1024;
const delay = monitorEventLoopDelay({ resolution: 10 });

try {
  const log = await openSessionLog({ dir: path.join(root, 's'), flushMs: 250 });
  delay.enable();
  const started = performance.now();
  let records = 0;
  while (log.totalBytes < target) {
    // Bursts as a busy proxy would produce them, with the loop free in between.
    for (let i = 0; i < 500; i++, records++) log.append(records % 10 === 0 ? RecordType.Body : RecordType.Entry, records % 10 === 0 ? big : entry);
    await new Promise((resolve) => setImmediate(resolve));
    // Bound memory like the store's budget would: let the disk catch up past 64 MiB queued.
    while (log.pendingBytes > 64 * 1024 * 1024) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const end = log.end();
  while (!isBefore(end, log.durableEnd())) await new Promise((resolve) => setTimeout(resolve, 5));
  const writeSeconds = (performance.now() - started) / 1000;
  delay.disable();
  const bytes = log.totalBytes;
  await log.close();

  const reopened = await openSessionLog({ dir: path.join(root, 's') });
  const scanStart = performance.now();
  let scanned = 0;
  let scannedBytes = 0;
  for await (const record of reopened.scan()) {
    scanned++;
    scannedBytes += record.loc.length;
  }
  const scanSeconds = (performance.now() - scanStart) / 1000;
  await reopened.close();
  if (scanned !== records || scannedBytes !== bytes) throw new Error(`scan saw ${scanned} records / ${scannedBytes} bytes, expected ${records} / ${bytes}`);

  const mb = bytes / 1024 / 1024;
  console.log(`records ${records}, ${mb.toFixed(0)} MiB in ${root} (scan right after writing: page cache warm)`);
  console.log(`append+flush (fsync'd): ${(mb / writeSeconds).toFixed(0)} MiB/s; event-loop delay p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`);
  console.log(`scan: ${(mb / scanSeconds).toFixed(0)} MiB/s (${(scanned / scanSeconds / 1000).toFixed(0)}k records/s)`);
} finally {
  await fsp.rm(root, { recursive: true, force: true });
}

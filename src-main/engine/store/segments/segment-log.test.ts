import fs, { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeBodyPayload, decodeRecordAt, encodeBodyPayload, encodeRecord } from './record-codec.js';
import { openSessionLog } from './segment-log.js';
import { RecordType, type SessionLog } from './segment-types.js';
import { collect, payloadFor, payloadIndex, tempDir, waitDurable } from './test-support/segment-fixtures.js';

let dir: string;
const logs: SessionLog[] = [];
const warnings: string[] = [];

async function open(options: { segmentBytes?: number; flushMs?: number } = {}): Promise<SessionLog> {
  const log = await openSessionLog({ dir, flushMs: 1000, onWarning: (m) => warnings.push(m), ...options });
  logs.push(log);
  return log;
}

beforeEach(async () => {
  dir = path.join(await tempDir('tr-segment-log-'), 'session');
  warnings.length = 0;
});

afterEach(async () => {
  await Promise.all(logs.splice(0).map((log) => log.close()));
  await fsp.rm(path.dirname(dir), { recursive: true, force: true });
});

describe('record codec', () => {
  it('frames a record as length, crc32 and type, and rejects a changed byte', () => {
    const { chunks, length } = encodeRecord(RecordType.Entry, Buffer.from('{"id":"e1"}'));
    const framed = Buffer.concat(chunks);
    expect(length).toBe(9 + 11);
    expect(framed.readUInt32LE(0)).toBe(11);
    expect(framed[8]).toBe(RecordType.Entry);
    const good = decodeRecordAt(framed, 0);
    expect(good.ok && good.payload.toString()).toBe('{"id":"e1"}');
    framed[12] = framed[12]! ^ 1;
    expect(decodeRecordAt(framed, 0)).toMatchObject({ ok: false, reason: 'corrupt' });
    expect(decodeRecordAt(framed.subarray(0, 15), 0)).toMatchObject({ ok: false, reason: 'short', length: 20 });
    expect(() => encodeRecord(99 as RecordType, Buffer.alloc(1))).toThrow(/unknown type 99/);
  });

  it('round-trips a body payload from chunks', () => {
    const payload = Buffer.concat(encodeBodyPayload('response', 'entry-é', [Buffer.from('ab'), Buffer.from('cd')]));
    expect(decodeBodyPayload(payload)).toMatchObject({ side: 'response', entryId: 'entry-é' });
    expect(decodeBodyPayload(payload).bytes.toString()).toBe('abcd');
    expect(() => encodeBodyPayload('sideways' as never, 'e', Buffer.alloc(0))).toThrow(/body side/);
    expect(() => decodeBodyPayload(Buffer.from([7, 0, 0]))).toThrow(expect.objectContaining({ code: 'RECORD_CORRUPT' }));
  });
});

describe('session log', () => {
  it('reads a record back while it is queued and after it was written, and keeps it across a reopen', async () => {
    const log = await open();
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const a = log.append(RecordType.Session, Buffer.from('{"id":"s1"}'));
    const b = log.append(RecordType.Entry, payloadFor(1));
    expect(a).toEqual({ segment: 0, offset: 0, length: 20 });
    expect(b.offset).toBe(20);
    expect(log.pendingBytes).toBe(a.length + b.length);
    expect(log.end()).toEqual({ segment: 0, offset: a.length + b.length });
    expect(log.durableEnd()).toEqual({ segment: 0, offset: 0 });
    const queued = await log.read(b);
    expect(queued.type).toBe(RecordType.Entry);
    expect(queued.payload.equals(payloadFor(1))).toBe(true);

    await log.flush();
    expect(log.pendingBytes).toBe(0);
    expect(log.durableEnd()).toEqual(log.end());
    const file = path.join(dir, '0000000000.seg');
    expect(fs.statSync(file).size).toBe(a.length + b.length);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect((await log.read(a)).payload.toString()).toBe('{"id":"s1"}');
    expect((await log.read(b)).payload.equals(payloadFor(1))).toBe(true);
    await log.close();

    const again = await open();
    expect((await again.read(b)).payload.equals(payloadFor(1))).toBe(true);
    const c = again.append(RecordType.Patch, Buffer.from('{}'));
    expect(c.offset).toBe(a.length + b.length);
    expect(warnings).toEqual([]);
  });

  it('refuses a location it does not hold and a record that is not what the location says', async () => {
    const log = await open();
    const a = log.append(RecordType.Entry, payloadFor(1));
    await expect(log.read({ segment: 5, offset: 0, length: 20 })).rejects.toMatchObject({ code: 'RECORD_MISSING' });
    await expect(log.read({ ...a, offset: 3 })).rejects.toMatchObject({ code: 'RECORD_MISSING' });
    await log.flush();
    await expect(log.read({ ...a, length: a.length - 1 })).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
    await expect(log.read({ ...a, offset: a.length + 100 })).rejects.toMatchObject({ code: 'RECORD_MISSING' });
    const fd = fs.openSync(path.join(dir, '0000000000.seg'), 'r+');
    fs.writeSync(fd, Buffer.from([0xff]), 0, 1, 30);
    fs.closeSync(fd);
    await expect(log.read(a)).rejects.toMatchObject({ code: 'RECORD_CORRUPT', message: /checksum/ });
    expect(() => log.append(RecordType.Entry, 'text' as never)).toThrow(TypeError);
  });

  it('rotates to a new segment before one would pass segmentBytes, and gives a big record a segment of its own', async () => {
    const log = await open({ segmentBytes: 1000 });
    const locs = Array.from({ length: 30 }, (_, i) => log.append(RecordType.Entry, payloadFor(i, 200)));
    const big = log.append(RecordType.Body, payloadFor(30, 5000));
    const after = log.append(RecordType.Entry, payloadFor(31, 200));
    expect(locs[0]!.segment).toBe(0);
    // Four 209-byte records fit in 1000 bytes; a fifth would pass it.
    expect(locs[3]!).toMatchObject({ segment: 0, offset: 3 * 209 });
    expect(locs[4]!).toMatchObject({ segment: 1, offset: 0 });
    for (const loc of locs) expect(loc.offset + loc.length).toBeLessThanOrEqual(1000);
    expect(big).toMatchObject({ offset: 0, length: 5009 });
    expect(after).toMatchObject({ segment: big.segment + 1, offset: 0 });
    expect(log.activeSegment).toBe(after.segment);
    expect(log.segments().reduce((sum, s) => sum + s.bytes, 0)).toBe(log.totalBytes);
    expect(log.totalBytes).toBe(30 * 209 + 5009 + 209);

    await log.flush();
    const names = fs.readdirSync(dir).sort();
    expect(names[0]).toBe('0000000000.seg');
    expect(names).toHaveLength(after.segment + 1);
    for (const info of log.segments()) expect(fs.statSync(path.join(dir, `${String(info.segment).padStart(10, '0')}.seg`)).size).toBe(info.bytes);
    for (const [i, loc] of [...locs, big, after].entries()) expect(payloadIndex((await log.read(loc)).payload)).toBe(i);
  });

  it('scans in order across segments, from a position, and includes records still queued', async () => {
    const log = await open({ segmentBytes: 2000 });
    const locs = Array.from({ length: 40 }, (_, i) => log.append(RecordType.Entry, payloadFor(i)));
    await log.flush();
    locs.push(...Array.from({ length: 10 }, (_, i) => log.append(RecordType.Entry, payloadFor(40 + i))));
    expect(log.pendingBytes).toBeGreaterThan(0);

    const all = await collect(log.scan());
    expect(all.map((r) => payloadIndex(r.payload))).toEqual(locs.map((_, i) => i));
    expect(all.map((r) => r.loc)).toEqual(locs);
    const from = locs[17]!;
    const tail = await collect(log.scan({ segment: from.segment, offset: from.offset }));
    expect(tail.map((r) => payloadIndex(r.payload))).toEqual(locs.slice(17).map((_, i) => 17 + i));
    expect(await collect(log.scan(log.end()))).toEqual([]);
  });

  it('frames a 5 MiB payload of three chunks without joining it, and reads it back whole', async () => {
    const chunks = [payloadFor(7, 2 * 1024 * 1024), Buffer.alloc(2 * 1024 * 1024, 0x61), Buffer.alloc(1024 * 1024, 0x62)];
    const framed = encodeRecord(RecordType.Body, chunks);
    // The very same buffers, not copies (deep equality of 5 MiB would also be slow).
    expect(framed.chunks).toHaveLength(4);
    chunks.forEach((chunk, i) => expect(framed.chunks[i + 1] === chunk).toBe(true));
    const whole = Buffer.concat(chunks);

    const log = await open();
    const small = log.append(RecordType.Entry, payloadFor(1));
    const loc = log.append(RecordType.Body, chunks);
    const next = log.append(RecordType.Entry, payloadFor(2));
    expect(loc.length).toBe(9 + 5 * 1024 * 1024);
    expect((await log.read(loc)).payload.equals(whole)).toBe(true);
    await log.flush();
    expect((await log.read(loc)).payload.equals(whole)).toBe(true);
    const scanned = await collect(log.scan());
    expect(scanned.map((r) => r.loc)).toEqual([small, loc, next]);
    expect(scanned[1]!.payload.equals(whole)).toBe(true);
  });

  it('has a record on disk once durableEnd passes it, through its own flush cycle', async () => {
    const log = await open({ flushMs: 30 });
    log.append(RecordType.Session, Buffer.from('{"id":"s1"}'));
    const loc = log.append(RecordType.Entry, payloadFor(3));
    await waitDurable(log, loc);
    // Read with fs, not through the log.
    const bytes = fs.readFileSync(path.join(dir, '0000000000.seg'));
    const decoded = decodeRecordAt(bytes, loc.offset);
    expect(decoded.ok && decoded.payload.equals(payloadFor(3))).toBe(true);
    expect(log.pendingBytes).toBe(0);
  });

  it('deletes whole segments below a number, never the active one', async () => {
    const log = await open({ segmentBytes: 500 });
    const locs = Array.from({ length: 12 }, (_, i) => log.append(RecordType.Entry, payloadFor(i, 200)));
    await log.flush();
    await log.read(locs[0]!); // holds a read handle on segment 0
    const before = log.totalBytes;
    await log.deleteSegmentsBefore(2);
    expect(log.segments()[0]!.segment).toBe(2);
    expect(fs.existsSync(path.join(dir, '0000000000.seg'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '0000000001.seg'))).toBe(false);
    expect(log.totalBytes).toBe(before - 4 * 209);
    await expect(log.read(locs[0]!)).rejects.toMatchObject({ code: 'RECORD_MISSING' });
    expect((await collect(log.scan())).map((r) => payloadIndex(r.payload))[0]).toBe(4);

    const active = log.activeSegment;
    await log.deleteSegmentsBefore(active + 10);
    expect(log.segments().map((s) => s.segment)).toEqual([active]);
    expect(payloadIndex((await log.read(locs[11]!)).payload)).toBe(11);
    const more = log.append(RecordType.Entry, payloadFor(12));
    await log.flush();
    expect(payloadIndex((await log.read(more)).payload)).toBe(12);
  });

  it('reads many segments at once through a bounded set of read handles', async () => {
    const log = await open({ segmentBytes: 500 });
    const locs = Array.from({ length: 60 }, (_, i) => log.append(RecordType.Entry, payloadFor(i, 200)));
    await log.flush();
    expect(log.segments()).toHaveLength(30);
    const read = await Promise.all([...locs, ...locs].map((loc) => log.read(loc)));
    expect(read.map((r) => payloadIndex(r.payload))).toEqual([...locs, ...locs].map((_, i) => i % 60));
  });

  it('sees records appended, rotated and flushed while a scan runs', async () => {
    const log = await open({ segmentBytes: 1000 });
    log.append(RecordType.Entry, payloadFor(0, 200));
    await log.flush();
    const seen: number[] = [];
    for await (const record of log.scan()) {
      seen.push(payloadIndex(record.payload));
      if (seen.length < 20) log.append(RecordType.Entry, payloadFor(seen.length, 200));
      if (seen.length % 7 === 0) await log.flush();
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(log.activeSegment).toBeGreaterThan(3);
  });

  it('ignores files that are not segments and starts an empty directory at segment 0', async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'hello');
    fs.writeFileSync(path.join(dir, '12.seg'), 'not ten digits');
    const log = await open();
    expect(log.segments()).toEqual([{ segment: 0, bytes: 0 }]);
    log.append(RecordType.Entry, payloadFor(0));
    await log.flush();
    expect(fs.existsSync(path.join(dir, '0000000000.seg'))).toBe(true);
    await log.close();
    await expect(log.flush()).rejects.toThrow(/closed/);
    expect(() => log.append(RecordType.Entry, payloadFor(1))).toThrow(/closed/);
  });
});

describe('read-ahead', () => {
  it('reads a page of records in one go and answers the reads after it from memory, bodies between them included', async () => {
    const log = await open();
    const locs = Array.from({ length: 50 }, (_, i) => {
      log.append(RecordType.Body, encodeBodyPayload('response', `e${i}`, Buffer.from(`body of ${i}`)));
      return log.append(RecordType.Entry, Buffer.from(`{"id":"e${i}"}`));
    });
    await log.flush();
    await log.prefetch!(locs.slice(10, 40), 1024);
    // Changed on disk behind the log's back (which never happens to written records): the reads do not see it.
    const file = path.join(dir, fs.readdirSync(dir).find((n) => n.endsWith('.seg'))!);
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, Buffer.alloc(bytes.length, 0xee));
    expect((await log.read(locs[20]!)).payload.toString()).toBe('{"id":"e20"}');
    const body = { segment: locs[10]!.segment, offset: locs[9]!.offset + locs[9]!.length, length: locs[10]!.offset - locs[9]!.offset - locs[9]!.length };
    expect(decodeBodyPayload((await log.read(body)).payload).bytes.toString()).toBe('body of 10');
    // Outside what was read ahead: from the disk, where the bytes are damaged now.
    await expect(log.read(locs[45]!)).rejects.toMatchObject({ code: 'RECORD_CORRUPT' });
  });
});

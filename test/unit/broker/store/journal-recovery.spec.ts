import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DataDirError, Journal, readSegment, type StoredMessage } from '../../../../lib/broker/store/journal.js';

const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'journal-recovery-spec-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A body that occurs once in the journal, so a test can find the bytes of one message and damage them. */
const bodyOf = (id: number): Buffer => Buffer.from(`<body of message ${String(id).padStart(6, '0')}>`);

function message(id: number): StoredMessage {
  return { id, destination: '/queue/recovery', headers: { seq: String(id) }, body: bodyOf(id) };
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /^journal-\d+\.log$/.test(name))
    .sort();
}

/** Flips one bit inside the stored body of message `id`, wherever the journal put it. */
function damageBodyOf(dir: string, id: number): string {
  for (const name of segmentFiles(dir)) {
    const path = join(dir, name);
    const data = readFileSync(path);
    const at = data.indexOf(bodyOf(id));
    if (at === -1) continue;
    data[at + 3]! ^= 0x10;
    writeFileSync(path, data);
    return name;
  }
  throw new Error(`message ${id} is not on disk`);
}

const ids = (messages: readonly StoredMessage[]): number[] => messages.map((m) => m.id);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('Journal recovery of a damaged segment', () => {
  it('a flipped bit in record 2 of 247 loses record 2 only, and the next write deletes nothing still live', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    for (const id of range(1, 247)) await journal.write({ adds: [message(id)] });
    await journal.close();
    expect(segmentFiles(dir)).toHaveLength(1);
    damageBodyOf(dir, 2);

    const second = await Journal.open(dir, { fsync: false });
    const expected = range(1, 247).filter((id) => id !== 2);
    expect(ids(second.recovered)).toEqual(expected);
    expect(second.nextId).toBe(248);
    const record2 = readSegment(readFileSync(join(dir, 'journal-000001.log'))).damaged[0]!;
    expect(second.report).toEqual({
      segments: 1,
      records: 246,
      damaged: [{ segment: 'journal-000001.log', start: record2.start, end: record2.end, records: 1, reason: 'checksum mismatch' }],
      recordsSkipped: 1,
    });
    await second.journal.write({ adds: [message(248)] });
    await second.journal.close();

    const third = await Journal.open(dir, { fsync: false });
    await third.journal.close();
    expect(ids(third.recovered)).toEqual([...expected, 248]);
    expect(third.recovered.at(-2)).toEqual(message(247));
    // The damaged bytes stay where they are (nothing is overwritten), so every start reports them.
    expect(third.report).toMatchObject({ records: 247, recordsSkipped: 1, damaged: [{ start: record2.start, end: record2.end }] });
  });

  it('damage in several segments loses only the damaged records; older segments survive the next writes', async () => {
    const dir = tempDir();
    // ~100-byte records, ~10 to a segment: 6 segments.
    const { journal } = await Journal.open(dir, { fsync: false, segmentBytes: 1000 });
    for (const id of range(1, 60)) await journal.write({ adds: [message(id)], removes: id % 7 === 0 ? [id - 1] : [] });
    await journal.close();
    expect(segmentFiles(dir).length).toBeGreaterThanOrEqual(5);
    const damaged = [3, 17, 18, 33, 59];
    const hit = new Set(damaged.map((id) => damageBodyOf(dir, id)));
    expect(hit.size).toBeGreaterThanOrEqual(3);

    const acknowledged = new Set(range(1, 60).filter((id) => (id + 1) % 7 === 0));
    const expected = range(1, 60).filter((id) => !acknowledged.has(id) && !damaged.includes(id));
    const second = await Journal.open(dir, { fsync: false, segmentBytes: 1000 });
    expect(ids(second.recovered)).toEqual(expected);
    for (const id of range(61, 80)) await second.journal.write({ adds: [message(id)] });
    await second.journal.close();

    expect(second.report.recordsSkipped).toBe(damaged.length);
    expect(new Set(second.report.damaged.map((d) => d.segment))).toEqual(hit);

    const third = await Journal.open(dir, { fsync: false, segmentBytes: 1000 });
    await third.journal.close();
    expect(ids(third.recovered)).toEqual([...expected, ...range(61, 80)]);
  });

  it('a damaged record header (its length unreliable) is skipped up to the next record, found by scanning', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    for (const id of range(1, 5)) await journal.write({ adds: [message(id)] });
    await journal.close();
    const file = join(dir, 'journal-000001.log');
    const { records } = readSegment(readFileSync(file));
    const third = records[2]!;
    const data = readFileSync(file);
    data[third.offset + 9]! ^= 0x40; // the length: it now points far beyond the file
    writeFileSync(file, data);

    const { journal: reopened, recovered, report } = await Journal.open(dir, { fsync: false });
    await reopened.close();
    expect(ids(recovered)).toEqual([1, 2, 4, 5]);
    expect(report.damaged).toEqual([{ segment: 'journal-000001.log', start: third.offset, end: third.end, records: 1, reason: 'unreadable record header' }]);
  });

  it('reports a torn last write as cut off, not as damage', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    await journal.write({ adds: [message(1), message(2)] });
    const intactBytes = statSync(join(dir, 'journal-000001.log')).size;
    await journal.write({ adds: [message(3)] });
    await journal.close();
    const file = join(dir, 'journal-000001.log');
    truncateSync(file, statSync(file).size - 5);
    const tornBytes = statSync(file).size - intactBytes;

    const { journal: reopened, recovered, report } = await Journal.open(dir, { fsync: false });
    await reopened.close();
    expect(ids(recovered)).toEqual([1, 2]);
    expect(report).toEqual({ segments: 1, records: 1, damaged: [], recordsSkipped: 0, tornTail: { segment: 'journal-000001.log', offset: intactBytes, bytes: tornBytes } });
    expect(statSync(file).size).toBe(intactBytes);
  });

  it('reports a cut in a segment that is not the last as damage, keeps that segment and reads the later ones', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false, segmentBytes: 250 });
    for (const id of range(1, 9)) await journal.write({ adds: [message(id)] });
    await journal.close();
    const [first] = segmentFiles(dir);
    const file = join(dir, first!);
    const { records } = readSegment(readFileSync(file));
    expect(records.length).toBeGreaterThanOrEqual(2);
    const last = records.at(-1)!;
    truncateSync(file, last.end - 7);

    const { journal: reopened, recovered, report } = await Journal.open(dir, { fsync: false, segmentBytes: 250 });
    await reopened.close();
    const lost = last.batch.adds!.map((m) => m.id);
    expect(ids(recovered)).toEqual(range(1, 9).filter((id) => !lost.includes(id)));
    expect(report.damaged).toEqual([{ segment: first, start: last.offset, end: last.end - 7, records: 1, reason: 'the record runs past the end of the segment' }]);
    expect(report.tornTail).toBeUndefined();
    expect(statSync(file).size).toBe(last.end - 7);
  });

  it('never takes journal bytes inside a message body for records, even when the scan runs through them', async () => {
    const source = tempDir();
    const a = await Journal.open(source, { fsync: false });
    for (const id of range(100, 104)) await a.journal.write({ adds: [message(id)], removes: [id - 1] });
    await a.journal.close();
    const segmentBytes = readFileSync(join(source, 'journal-000001.log'));

    const dir = tempDir();
    const b = await Journal.open(dir, { fsync: false });
    const carrier: StoredMessage = { id: 2, destination: '/queue/files', headers: {}, body: Buffer.concat([segmentBytes, segmentBytes]) };
    await b.journal.write({ adds: [message(1)] });
    await b.journal.write({ adds: [carrier] });
    await b.journal.write({ adds: [message(3)] });
    await b.journal.close();
    const file = join(dir, 'journal-000001.log');
    const record = readSegment(readFileSync(file)).records[1]!;
    const data = readFileSync(file);
    data[record.offset]! ^= 0x01; // the magic: the scan starts right after it, through the body
    writeFileSync(file, data);

    const { journal, recovered, report } = await Journal.open(dir, { fsync: false });
    await journal.close();
    expect(ids(recovered)).toEqual([1, 3]);
    expect(report.damaged).toEqual([{ segment: 'journal-000001.log', start: record.offset, end: record.end, records: 1, reason: 'unreadable record header' }]);
  });
});

/** A record of format 1, the journal's format before records had a magic and a header checksum. */
function legacyRecord(adds: readonly StoredMessage[], removes: readonly number[]): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const id = (n: number) => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(n));
    return b;
  };
  const bytes = (b: Buffer) => Buffer.concat([u32(b.length), b]);
  const parts: Buffer[] = [u32(adds.length)];
  for (const m of adds) {
    parts.push(id(m.id), bytes(Buffer.from(m.destination)), u32(Object.keys(m.headers).length));
    for (const [k, v] of Object.entries(m.headers)) parts.push(bytes(Buffer.from(k)), bytes(Buffer.from(v)));
    parts.push(bytes(m.body));
  }
  parts.push(u32(removes.length), ...removes.map(id));
  const payload = Buffer.concat(parts);
  return Buffer.concat([u32(payload.length), u32(crc32(payload)), payload]);
}

describe('Journal formats', () => {
  it('opens a journal of format 1, skipping its damaged records too, and appends format 2 records to it', async () => {
    const dir = tempDir();
    const old = range(1, 6).map((id) => legacyRecord([message(id)], id === 6 ? [1] : []));
    const file = join(dir, 'journal-000001.log');
    writeFileSync(file, Buffer.concat(old));
    const data = readFileSync(file);
    data[data.indexOf(bodyOf(3)) + 2]! ^= 0x04;
    writeFileSync(file, data);

    const first = await Journal.open(dir, { fsync: false });
    expect(ids(first.recovered)).toEqual([2, 4, 5, 6]);
    expect(first.recovered[0]).toEqual(message(2));
    expect(first.report).toMatchObject({ records: 5, recordsSkipped: 1, damaged: [{ segment: 'journal-000001.log', records: 1 }] });
    expect(first.nextId).toBe(7);
    await first.journal.write({ adds: [message(7)], removes: [2] });
    await first.journal.close();

    const second = await Journal.open(dir, { fsync: false });
    await second.journal.close();
    expect(ids(second.recovered)).toEqual([4, 5, 6, 7]);
    expect(second.report.records).toBe(6);
  });

  it('refuses a journal of a newer format with a DataDirError, but takes a damaged format field for damage', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    await journal.write({ adds: [message(1)] });
    await journal.write({ adds: [message(2)] });
    await journal.close();
    const file = join(dir, 'journal-000001.log');
    const pristine = readFileSync(file);
    const second = readSegment(pristine).records[1]!.offset;

    const flipped = Buffer.from(pristine);
    flipped[second + 4]! ^= 0x01; // format 2 → 3, header checksum now wrong: damage
    writeFileSync(file, flipped);
    const damaged = await Journal.open(dir, { fsync: false });
    await damaged.journal.close();
    expect(ids(damaged.recovered)).toEqual([1]);

    const newer = Buffer.from(pristine);
    newer.writeUInt16LE(3, second + 4);
    newer.writeUInt32LE(crc32(newer.subarray(second, second + 20)), second + 20);
    writeFileSync(file, newer);
    const refused = Journal.open(dir, { fsync: false });
    await expect(refused).rejects.toBeInstanceOf(DataDirError);
    await expect(refused).rejects.toMatchObject({
      code: 'EJOURNALFORMAT',
      path: file,
      message: expect.stringMatching(/journal-000001\.log holds journal records of format 3, written by a newer nestjs-activemq; this one reads formats 1 and 2/),
    });
    expect(readFileSync(file)).toEqual(newer);
  });
});

describe('Journal delivery counts', () => {
  const big = (id: number): StoredMessage => ({ ...message(id), body: Buffer.alloc(150, id) });

  it('recovers the newest count of each message, drops it with the message, and ignores counts of unknown ids', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    await journal.write({ adds: [message(1), message(2), { ...message(3), deliveries: 4 }] });
    await journal.write({ deliveryCounts: [{ id: 1, deliveries: 1 }] });
    await journal.write({
      deliveryCounts: [
        { id: 1, deliveries: 2 },
        { id: 99, deliveries: 5 },
      ],
      removes: [2],
    });
    await journal.close();

    const { journal: reopened, recovered, nextId } = await Journal.open(dir, { fsync: false });
    await reopened.close();
    expect(recovered).toEqual([
      { ...message(1), deliveries: 2 },
      { ...message(3), deliveries: 4 },
    ]);
    expect(nextId).toBe(100);
  });

  it('keeps a count through compaction: the segment holding it stays until the count is written again', async () => {
    const dir = tempDir();
    const segmentBytes = 400;
    const { journal } = await Journal.open(dir, { fsync: false, segmentBytes });
    await journal.write({ adds: [big(1)] }); // segment 1
    await journal.write({ adds: [big(2)] }); // segment 1 is full: segment 2
    await journal.write({ deliveryCounts: [{ id: 1, deliveries: 1 }] });
    await journal.write({ deliveryCounts: [{ id: 1, deliveries: 2 }] });
    // A queue in steady state behind message 1: each write adds one and acknowledges the one before.
    for (const id of range(3, 40)) await journal.write({ adds: [big(id)], removes: [id - 1] });
    await journal.write({ deliveryCounts: [{ id: 1, deliveries: 3 }] });
    for (const id of range(41, 60)) await journal.write({ adds: [big(id)], removes: [id - 1] });
    expect(journal.stats().segments).toBeLessThanOrEqual(6);
    await journal.close();

    const second = await Journal.open(dir, { fsync: false, segmentBytes });
    expect(second.recovered).toEqual([{ ...big(1), deliveries: 3 }, big(60)]);
    await second.journal.write({ removes: [1] });
    await second.journal.close();
    const third = await Journal.open(dir, { fsync: false, segmentBytes });
    await third.journal.close();
    expect(third.recovered).toEqual([big(60)]);
  });

  it('refuses a count that cannot be stored', async () => {
    const { journal } = await Journal.open(tempDir(), { fsync: false });
    await expect(journal.write({ deliveryCounts: [{ id: 1, deliveries: -1 }] })).rejects.toThrow(/delivery count must be a whole number from 0 to 4294967295, got -1/);
    await expect(journal.write({ adds: [{ ...message(1), deliveries: 1.5 }] })).rejects.toThrow(RangeError);
    await journal.close();
  });
});

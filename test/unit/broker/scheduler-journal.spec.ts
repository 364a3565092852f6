import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DataDirError, Journal, readSegment, type StoredMessage } from '../../../lib/broker/store/journal.js';

/**
 * The journal's schedules (lib/broker/store/journal.ts, flag 0x0001): a scheduled message is
 * journaled with its due time, the copies still to come and its kind; its next state is a new
 * copy of it; journals without scheduled messages are written exactly as before the flag.
 */

const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'scheduler-journal-spec-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function message(id: number, body = `body ${id}`): StoredMessage {
  return { id, destination: '/queue/later', headers: { persistent: 'true', AMQ_SCHEDULED_DELAY: '60000' }, body: Buffer.from(body) };
}

function scheduled(id: number, due: number, remaining = 0, cron = false, body?: string): StoredMessage {
  return { ...message(id, body), schedule: { due, remaining, cron } };
}

async function reopen(dir: string, segmentBytes?: number) {
  const opened = await Journal.open(dir, { fsync: false, segmentBytes });
  await opened.journal.close();
  return opened;
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /^journal-\d+\.log$/.test(name))
    .sort();
}

describe('Journal: schedules', () => {
  it('recovers each scheduled message with its schedule, and plain messages without one', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    const due = Date.UTC(2031, 0, 2, 3, 4, 5, 678);
    await journal.write({ adds: [message(1), scheduled(2, due, 4), scheduled(3, due + 1, 0, true)] });
    await journal.write({ adds: [{ ...scheduled(5, 0, 4_294_967_295), deliveries: 2 }] });
    await journal.close();

    const { recovered, nextId } = await reopen(dir);
    expect(recovered).toEqual([message(1), scheduled(2, due, 4), scheduled(3, due + 1, 0, true), { ...scheduled(5, 0, 4_294_967_295), deliveries: 2 }]);
    expect(recovered[0]).not.toHaveProperty('schedule');
    expect(nextId).toBe(6);
  });

  it('takes a new copy of a scheduled message (same id) as its next state, and a remove as its end', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    await journal.write({ adds: [scheduled(1, 1000, 2), scheduled(2, 1500, 1)] });
    // A firing of 1: its copy for the queue (id 3) and its next state, in one batch.
    await journal.write({ adds: [message(3), scheduled(1, 2000, 1)] });
    // The last firing of 2: its copy and its removal.
    await journal.write({ adds: [message(4)], removes: [2] });
    await journal.close();

    const { recovered, journal: _closed } = await reopen(dir);
    expect(recovered).toEqual([scheduled(1, 2000, 1), message(3), message(4)]);
  });

  it('writes a batch without scheduled adds byte for byte as before (flags 0), and one with them flagged', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    await journal.write({ adds: [message(1)], removes: [7], deliveryCounts: [{ id: 1, deliveries: 1 }] });
    await journal.write({ adds: [message(2), scheduled(3, 123, 1)] });
    await journal.close();
    const data = readFileSync(join(dir, segmentFiles(dir)[0]!));
    const [plain, flagged] = readSegment(data).records;
    // Header: magic, u16 format 2, u16 flags.
    expect(data.readUInt16LE(plain!.offset + 4)).toBe(2);
    expect(data.readUInt16LE(plain!.offset + 6)).toBe(0);
    expect(data.readUInt16LE(flagged!.offset + 4)).toBe(2);
    expect(data.readUInt16LE(flagged!.offset + 6)).toBe(1);
    // The plain record's payload ends with its delivery counts, as format 2 always did: nothing follows.
    const plainPayload = data.subarray(plain!.offset + 24, plain!.end);
    expect(plainPayload.readUInt32LE(plainPayload.length - 16)).toBe(1);
    // The flagged one ends with one 21-byte schedule: id 3, due 123, remaining 1, kind 0.
    const schedule = data.subarray(flagged!.end - 25, flagged!.end);
    expect(schedule.readUInt32LE(0)).toBe(1);
    expect(schedule.readBigUInt64LE(4)).toBe(3n);
    expect(schedule.readBigUInt64LE(12)).toBe(123n);
    expect(schedule.readUInt32LE(20)).toBe(1);
    expect(schedule.readUInt8(24)).toBe(0);
  });

  it('keeps schedules through compaction', async () => {
    const dir = tempDir();
    // The first two batches fill the first segment (1337 bytes): the next add starts another.
    const segmentBytes = 1400;
    const { journal } = await Journal.open(dir, { fsync: false, segmentBytes });
    const pad = 'x'.repeat(150);
    // The first segment: two scheduled messages and three that go, so that it is worth compacting.
    await journal.write({ adds: [scheduled(1, 111, 3, false, pad), scheduled(2, 222, 0, true, pad), message(3, pad), message(4, pad), message(5, pad)] });
    await journal.write({ removes: [3, 4, 5] });
    // Enough segments after it (their messages kept) that it is compacted away.
    const kept: StoredMessage[] = [];
    for (let id = 10; id < 40; id++) {
      kept.push(message(id, pad));
      await journal.write({ adds: [kept.at(-1)!] });
    }
    const stats = journal.stats();
    await journal.close();
    expect(segmentFiles(dir)[0]).not.toBe('journal-000001.log');
    expect(stats.liveMessages).toBe(2 + kept.length);

    const { recovered } = await reopen(dir, segmentBytes);
    expect(recovered).toEqual([scheduled(1, 111, 3, false, pad), scheduled(2, 222, 0, true, pad), ...kept]);
  });

  it('refuses a schedule it cannot store, writing nothing', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    await expect(journal.write({ adds: [scheduled(1, -1)] })).rejects.toThrow(/schedule due time must be a non-negative safe integer of ms, got -1/);
    await expect(journal.write({ adds: [scheduled(1, 5, 2 ** 32)] })).rejects.toThrow(/schedule remaining count must be a whole number from 0 to 4294967295, got 4294967296/);
    await journal.close();
    expect((await reopen(dir)).recovered).toEqual([]);
  });

  it('takes a record whose schedule names no add of its batch for damage', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    await journal.write({ adds: [message(1)] });
    await journal.write({ adds: [scheduled(2, 50)] });
    // Not the last record: that one, damaged, would be cut off as a torn write.
    await journal.write({ adds: [message(3)] });
    await journal.close();
    const file = join(dir, 'journal-000001.log');
    const data = Buffer.from(readFileSync(file));
    const record = readSegment(data).records[1]!;
    // The schedule's id (2 → 9), the payload's crc made right again: intact, but not a batch.
    data.writeBigUInt64LE(9n, record.end - 21);
    data.writeUInt32LE(crc32(data.subarray(record.offset + 24, record.end)), record.offset + 12);
    data.writeUInt32LE(crc32(data.subarray(record.offset, record.offset + 20)), record.offset + 20);
    writeFileSync(file, data);
    const { recovered, report } = await reopen(dir);
    expect(recovered).toEqual([message(1), message(3)]);
    expect(report.damaged).toEqual([{ segment: 'journal-000001.log', start: record.offset, end: record.end, records: 1, reason: 'the record does not decode' }]);
  });

  it('refuses a journal with a flag it does not know, as one of a newer format, changing nothing', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir, { fsync: false });
    await journal.write({ adds: [scheduled(1, 50)] });
    await journal.close();
    const file = join(dir, 'journal-000001.log');
    const data = Buffer.from(readFileSync(file));
    data.writeUInt16LE(0x0003, 6);
    data.writeUInt32LE(crc32(data.subarray(0, 20)), 20);
    writeFileSync(file, data);
    const refused = Journal.open(dir, { fsync: false });
    await expect(refused).rejects.toBeInstanceOf(DataDirError);
    await expect(refused).rejects.toMatchObject({
      code: 'EJOURNALFORMAT',
      message: expect.stringContaining(
        'journal-000001.log holds journal records of format 2 with flags 0x0002 it does not know, written by a newer nestjs-activemq; this one reads formats 1 and 2',
      ),
    });
    expect(readFileSync(file)).toEqual(data);
  });
});

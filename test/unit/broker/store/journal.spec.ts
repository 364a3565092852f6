import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Journal, type StoredMessage } from '../../../../lib/broker/store/journal.js';

const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'journal-spec-'));
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function message(id: number, body: Buffer = Buffer.from(`body ${id}`)): StoredMessage {
  return { id, destination: `/queue/q${id % 3}`, headers: { persistent: 'true', seq: String(id) }, body };
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => /^journal-\d+\.log$/.test(name))
    .sort();
}

function lastSegment(dir: string): string {
  return join(dir, segmentFiles(dir).at(-1)!);
}

async function reopen(dir: string, segmentBytes?: number) {
  const opened = await Journal.open(dir, { segmentBytes });
  await opened.journal.close();
  return opened;
}

describe('Journal: recovery', () => {
  it('starts empty with nextId 1 and recovers every add, byte for byte, in id order', async () => {
    const dir = join(tempDir(), 'nested', 'store');
    const first = await Journal.open(dir);
    expect(first.recovered).toEqual([]);
    expect(first.nextId).toBe(1);

    const adds: StoredMessage[] = [
      { id: 3, destination: '/queue/orders', headers: { 'content-type': 'application/octet-stream', 'x-ünï': 'a:b\nc' }, body: Buffer.from([0x00, 0xff, 0x00, 0x7f, 0xff]) },
      { id: 1, destination: '/topic/prices', headers: {}, body: Buffer.alloc(0) },
      { id: 10, destination: '/queue/orders', headers: { ['__proto__']: 'kept as a header', '': '' }, body: randomBytes(70_000) },
      { id: 2, destination: '/queue/ünïcode', headers: { persistent: 'true' }, body: Buffer.from('plain text') },
    ];
    await Promise.all([first.journal.write({ adds: adds.slice(0, 2) }), first.journal.write({ adds: adds.slice(2) })]);
    expect(first.journal.stats().liveMessages).toBe(4);
    await first.journal.close();

    const { recovered, nextId } = await reopen(dir);
    expect(recovered).toEqual([...adds].sort((a, b) => a.id - b.id));
    expect(recovered[0]!.body).toEqual(Buffer.alloc(0));
    expect(recovered[2]!.body).toEqual(Buffer.from([0x00, 0xff, 0x00, 0x7f, 0xff]));
    expect(Object.keys(recovered[3]!.headers).sort()).toEqual(['', '__proto__']);
    expect(nextId).toBe(11);
  });

  it('does not recover removed messages', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir);
    await journal.write({ adds: [1, 2, 3, 4, 5].map((id) => message(id)) });
    await journal.write({ removes: [2, 4, 99] });
    expect(journal.stats().liveMessages).toBe(3);
    await journal.close();

    const { recovered, nextId } = await reopen(dir);
    expect(recovered.map((m) => m.id)).toEqual([1, 3, 5]);
    expect(recovered).toEqual([1, 3, 5].map((id) => message(id)));
    expect(nextId).toBe(100);
  });

  it('applies a batch all or nothing: a torn last record is cut off and the journal stays usable', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir);
    await journal.write({ adds: [message(1), message(2)] });
    const sizeAfterFirst = statSync(lastSegment(dir)).size;
    await journal.write({ adds: [message(3)], removes: [1] });
    await journal.close();
    const file = lastSegment(dir);
    truncateSync(file, statSync(file).size - 3);

    const second = await Journal.open(dir);
    expect(second.recovered).toEqual([message(1), message(2)]);
    expect(second.nextId).toBe(3);
    expect(statSync(file).size).toBe(sizeAfterFirst);
    await second.journal.write({ adds: [message(4)] });
    await second.journal.close();

    const { recovered } = await reopen(dir);
    expect(recovered).toEqual([message(1), message(2), message(4)]);
  });

  it('ignores garbage after the last record, losing nothing', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir);
    await journal.write({ adds: [message(1), message(2)] });
    await journal.write({ adds: [message(3)], removes: [2] });
    await journal.close();
    // A header whose length fits in the file but whose crc is wrong, then random bytes.
    const fakeHeader = Buffer.alloc(8);
    fakeHeader.writeUInt32LE(16, 0);
    fakeHeader.writeUInt32LE(0xdeadbeef, 4);
    appendFileSync(lastSegment(dir), Buffer.concat([fakeHeader, randomBytes(4096)]));

    const second = await Journal.open(dir);
    expect(second.recovered).toEqual([message(1), message(3)]);
    await second.journal.write({ adds: [message(4)] });
    await second.journal.close();

    const { recovered } = await reopen(dir);
    expect(recovered).toEqual([message(1), message(3), message(4)]);
  });

  it('skips only the rest of an earlier segment that is corrupt, and keeps reading later segments', async () => {
    const dir = tempDir();
    const body = (id: number) => Buffer.alloc(300, id);
    // Each record is ~350 bytes: two fit in a 1000-byte segment, the third starts a new one.
    const { journal } = await Journal.open(dir, { segmentBytes: 1000 });
    for (const id of [1, 2, 3, 4, 5]) await journal.write({ adds: [message(id, body(id))] });
    await journal.close();
    const files = segmentFiles(dir);
    expect(files).toHaveLength(3);
    const first = join(dir, files[0]!);
    const data = readFileSync(first);
    data[data.length - 10]! ^= 0xff; // inside the body of message 2
    writeFileSync(first, data);

    const { recovered } = await reopen(dir, 1000);
    expect(recovered).toEqual([1, 3, 4, 5].map((id) => message(id, body(id))));
    expect(statSync(first).size).toBe(data.length);
  });
});

describe('Journal: group commit', () => {
  it('shares fsyncs between concurrent writers', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir);
    const fsyncsBefore = journal.stats().fsyncs;
    const ids = Array.from({ length: 200 }, (_, i) => i + 1);
    await Promise.all(ids.map((id) => journal.write({ adds: [message(id)] })));
    const fsyncs = journal.stats().fsyncs - fsyncsBefore;
    expect(fsyncs).toBeGreaterThan(0);
    expect(fsyncs).toBeLessThan(50);
    await journal.close();

    const { recovered } = await reopen(dir);
    expect(recovered).toEqual(ids.map((id) => message(id)));
  });
});

describe('Journal: compaction', () => {
  it('keeps disk use bounded while most messages are removed, and recovers exactly the live ones', async () => {
    const dir = tempDir();
    const segmentBytes = 4096;
    const body = (id: number) => Buffer.alloc(200, id & 0xff);
    const { journal } = await Journal.open(dir, { segmentBytes });
    const kept: number[] = [];
    let maxSegments = 0;
    let maxBytes = 0;
    // A queue in steady state: each write adds a message and acknowledges the previous one,
    // except every 25th, which stays.
    for (let id = 1; id <= 600; id++) {
      const previous = id - 1;
      const removes = previous > 0 && previous % 25 !== 0 ? [previous] : [];
      if (previous > 0 && previous % 25 === 0) kept.push(previous);
      await journal.write({ adds: [message(id, body(id))], removes });
      const { segments, bytesOnDisk } = journal.stats();
      maxSegments = Math.max(maxSegments, segments);
      maxBytes = Math.max(maxBytes, bytesOnDisk);
    }
    await journal.write({ removes: [600] });
    await journal.close();
    const stats = journal.stats();

    // 600 messages of ~250 bytes written is ~37 segments; the 24 kept ones are ~6 KB of live data.
    expect(maxSegments).toBeLessThanOrEqual(6);
    expect(maxBytes).toBeLessThanOrEqual(6 * segmentBytes);
    expect(stats.liveMessages).toBe(kept.length);
    expect(stats.segments).toBe(segmentFiles(dir).length);
    const onDisk = segmentFiles(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0);
    expect(stats.bytesOnDisk).toBe(onDisk);

    const { recovered, nextId } = await reopen(dir, segmentBytes);
    expect(recovered).toEqual(kept.map((id) => message(id, body(id))));
    expect(nextId).toBe(601);
  });

  it('keeps a segment holding acknowledgements until the segments with the acknowledged messages are gone', async () => {
    const dir = tempDir();
    const body = Buffer.alloc(200, 7);
    // Every write here is larger than a segment, so each one starts a new segment.
    const { journal } = await Journal.open(dir, { segmentBytes: 100 });
    await journal.write({ adds: [message(1, body), message(2, body)] }); // segment 1
    await journal.write({ adds: [message(3, body)], removes: [1] }); // segment 2
    await journal.write({ removes: [3] }); // segment 3
    await journal.close();
    // Segment 2 has nothing live, but deleting it would bring message 1 back from segment 1.
    expect(segmentFiles(dir)).toEqual(['journal-000001.log', 'journal-000002.log', 'journal-000003.log']);

    const second = await Journal.open(dir, { segmentBytes: 100 });
    expect(second.recovered).toEqual([message(2, body)]);
    await second.journal.write({ removes: [2] }); // small enough to go into segment 3
    await second.journal.close();
    expect(segmentFiles(dir)).toEqual(['journal-000003.log']);
    expect(second.journal.stats()).toMatchObject({ segments: 1, liveMessages: 0 });
    expect((await reopen(dir, 100)).recovered).toEqual([]);
  });

  it('recovers each message once when a crash kept a segment whose messages were already copied forward', async () => {
    const dir = tempDir();
    const body = Buffer.alloc(200, 9);
    const first = await Journal.open(dir, { segmentBytes: 100 });
    await first.journal.write({ adds: [1, 2, 3, 4].map((id) => message(id, body)) }); // segment 1
    await first.journal.write({ adds: [message(5, body)], removes: [1, 2, 3] }); // segment 2
    await first.journal.write({ adds: [message(6, body)] }); // segment 3
    const segmentOne = join(dir, 'journal-000001.log');
    const segmentOneData = readFileSync(segmentOne);
    // Segment 4; then three segments besides the current one exist and segment 1 has one live
    // add of four: message 4 is copied forward into segment 5 and segment 1 is deleted.
    await first.journal.write({ adds: [message(7, body)] });
    await first.journal.close();
    expect(segmentFiles(dir)).toEqual(['journal-000002.log', 'journal-000003.log', 'journal-000004.log', 'journal-000005.log']);

    writeFileSync(segmentOne, segmentOneData); // as if the deletion had not reached the disk
    const second = await Journal.open(dir, { segmentBytes: 100 });
    expect(second.recovered).toEqual([4, 5, 6, 7].map((id) => message(id, body)));
    expect(second.journal.stats().liveMessages).toBe(4);
    await second.journal.write({ adds: [message(8, body)], removes: [4, 5, 6, 7] });
    await second.journal.close();
    expect(segmentFiles(dir)).not.toContain('journal-000001.log');

    const { recovered, nextId } = await reopen(dir, 100);
    expect(recovered).toEqual([message(8, body)]);
    expect(nextId).toBe(9);
  });
});

describe('Journal: close', () => {
  it('finishes queued writes on close and rejects later writes with a clear error', async () => {
    const dir = tempDir();
    const { journal } = await Journal.open(dir);
    const queued = journal.write({ adds: [message(1)] });
    const closing = journal.close();
    await expect(queued).resolves.toBeUndefined();
    await closing;
    await expect(journal.close()).resolves.toBeUndefined();
    await expect(journal.write({ adds: [message(2)] })).rejects.toThrow(/is closed: write\(\) after close\(\) is not allowed/);

    const { recovered } = await reopen(dir);
    expect(recovered).toEqual([message(1)]);
  });
});

import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBrokerCli } from '../../../lib/broker/cli.js';
import { DataDirError, EmbeddedBroker } from '../../../lib/broker/embedded-broker.js';
import { Journal, type StoredMessage } from '../../../lib/broker/store/journal.js';

/**
 * Issue 13 #12: every start-up problem with the data directory is one clear line (and exit code
 * 1 from the CLI), a typed error from EmbeddedBroker.start(), never a raw stack trace.
 */

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) {
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  }
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'data-dir-spec-'));
  dirs.push(dir);
  return dir;
}

/** Each broken data directory, the code it is reported with, and what the line must say. */
const broken: Array<[string, () => string, string, RegExp]> = [
  [
    'a directory named like a journal segment',
    () => {
      const dir = tempDir();
      mkdirSync(join(dir, 'journal-000001.log'));
      return dir;
    },
    'EISDIR',
    /journal-000001\.log is a directory, not a journal segment file/,
  ],
  [
    'a data directory that is a file',
    () => {
      const file = join(tempDir(), 'data');
      writeFileSync(file, 'not a directory');
      return file;
    },
    'ENOTDIR',
    /data is not a directory \(it, or a part of its path, is a file\)/,
  ],
  [
    'a data directory below a file',
    () => {
      const file = join(tempDir(), 'file');
      writeFileSync(file, 'not a directory');
      return join(file, 'data');
    },
    'ENOTDIR',
    /file\/data is not a directory/,
  ],
  [
    'a segment that is a link to nothing',
    () => {
      const dir = tempDir();
      symlinkSync(join(dir, 'gone'), join(dir, 'journal-000002.log'));
      return dir;
    },
    'ENOENT',
    /journal-000002\.log cannot be read: it does not exist \(a broken link\?\)/,
  ],
  [
    // Read as a file, it would hang the start for ever.
    'a FIFO named like a journal segment',
    () => {
      const dir = tempDir();
      execFileSync('mkfifo', [join(dir, 'journal-000001.log')]);
      return dir;
    },
    'ENOTFILE',
    /journal-000001\.log is not a regular file/,
  ],
];

describe('EmbeddedBroker.start() with a data directory it cannot use', () => {
  it.each(broken)('%s: a DataDirError naming the path, in one line', async (_, make, code, reason) => {
    const dataDir = make();
    const failure = EmbeddedBroker.start({ dataDir });
    await expect(failure).rejects.toMatchObject({ name: 'DataDirError', code, dataDir });
    await expect(failure).rejects.toBeInstanceOf(DataDirError);
    const error = (await failure.catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(reason);
    expect(error.message).toMatch(/^cannot use the data directory /);
    expect(error.message).not.toMatch(/\n/);
  });

  const asRoot = process.getuid?.() === 0;
  // root reads and writes whatever the permission bits say: these two cannot fail for it.
  (asRoot ? it.skip : it)('an unreadable segment: EACCES, in one line', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'journal-000001.log'), Buffer.alloc(0));
    chmodSync(join(dataDir, 'journal-000001.log'), 0o000);
    await expect(EmbeddedBroker.start({ dataDir })).rejects.toMatchObject({ name: 'DataDirError', code: 'EACCES', message: expect.stringMatching(/permission denied/) });
  });

  (asRoot ? it.skip : it)('a data directory it may not write: EACCES, in one line', async () => {
    const dataDir = tempDir();
    chmodSync(dataDir, 0o500);
    await expect(EmbeddedBroker.start({ dataDir })).rejects.toMatchObject({ name: 'DataDirError', code: 'EACCES', message: expect.stringMatching(/permission denied/) });
  });
});

describe('nestjs-activemq broker --data with a data directory it cannot use', () => {
  it.each(broken)('%s: one line on stderr, exit code 1, nothing on stdout', async (_, make, _code, reason) => {
    const dataDir = make();
    const errors = jest.spyOn(console, 'error').mockImplementation(() => {});
    const logs = jest.spyOn(console, 'log').mockImplementation(() => {});
    const exitCode = process.exitCode;
    try {
      await runBrokerCli(['broker', '--port', '0', '--data', dataDir, '--stats', '0']);
      expect(process.exitCode).toBe(1);
      expect(errors).toHaveBeenCalledTimes(1);
      const line = String(errors.mock.calls[0]![0]);
      expect(line).toMatch(reason);
      expect(line).not.toMatch(/\n|\bat .*\(.*:\d+:\d+\)/);
      expect(logs).not.toHaveBeenCalled();
    } finally {
      process.exitCode = exitCode;
      errors.mockRestore();
      logs.mockRestore();
    }
  });
});

describe('the broker logs what journal recovery skipped', () => {
  const stored = (id: number): StoredMessage => ({
    id,
    destination: '/queue/logged',
    headers: { persistent: 'true', priority: '4', expires: '0', timestamp: '1' },
    body: Buffer.from(`<logged message ${id}>`),
  });

  async function journalOf(count: number): Promise<string> {
    const dataDir = tempDir();
    const { journal } = await Journal.open(dataDir, { fsync: false });
    for (let id = 1; id <= count; id++) await journal.write({ adds: [stored(id)] });
    await journal.close();
    return dataDir;
  }

  it('a damaged record: a DAMAGED line and one per stretch, the report on broker.recovery, the rest recovered', async () => {
    const dataDir = await journalOf(3);
    const file = join(dataDir, 'journal-000001.log');
    const data = readFileSync(file);
    data[data.indexOf('<logged message 2>') + 4]! ^= 0x20;
    writeFileSync(file, data);

    const lines: string[] = [];
    const broker = await EmbeddedBroker.start({ dataDir, log: (line) => lines.push(line) });
    try {
      expect(broker.stats().waiting).toBe(2);
      expect(broker.recovery).toMatchObject({ segments: 1, records: 2, recordsSkipped: 1, damaged: [{ segment: 'journal-000001.log', records: 1, reason: 'checksum mismatch' }] });
      const { start, end } = broker.recovery!.damaged[0]!;
      expect(lines).toEqual([
        `journal ${dataDir}: DAMAGED: skipped 1 damaged record(s) (at least) in 1 stretch(es) of 1 segment(s): the messages, acknowledgements and delivery counts in them are lost; 2 intact record(s) read`,
        `journal ${dataDir}: journal-000001.log bytes ${start}-${end} skipped: checksum mismatch (1 record(s))`,
      ]);
    } finally {
      await broker.stop();
    }
  });

  it('a torn last write: one line saying it was cut off, nothing about damage', async () => {
    const dataDir = await journalOf(2);
    const file = join(dataDir, 'journal-000001.log');
    truncateSync(file, statSync(file).size - 4);
    const lines: string[] = [];
    const broker = await EmbeddedBroker.start({ dataDir, log: (line) => lines.push(line) });
    try {
      expect(broker.stats().waiting).toBe(1);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^journal .*: cut off \d+ byte\(s\) of an incomplete last write at offset \d+ of journal-000001\.log \(normal after a crash\)$/);
      expect(broker.recovery).toMatchObject({ recordsSkipped: 0, damaged: [], tornTail: { segment: 'journal-000001.log' } });
    } finally {
      await broker.stop();
    }
  });

  it('an intact journal: nothing logged', async () => {
    const dataDir = await journalOf(2);
    const lines: string[] = [];
    const broker = await EmbeddedBroker.start({ dataDir, log: (line) => lines.push(line) });
    await broker.stop();
    expect(lines).toEqual([]);
    expect(broker.recovery).toEqual({ segments: 1, records: 2, damaged: [], recordsSkipped: 0 });
  });
});

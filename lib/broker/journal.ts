/*
 * Durable store of the embedded broker: an append-only journal of segment files.
 *
 * Hand-written: it is on the hot path of every persistent message, and its contract is narrow
 * (group-committed fsyncs, crc-checked recovery that skips a torn tail, compaction by live message
 * id); no dependency offers that without bringing in a general-purpose database.
 *
 * Segment file `journal-NNNNNN.log` is a sequence of records:
 *   [u32 LE payload length][u32 LE crc32 of payload][payload]
 * and a payload is one JournalBatch:
 *   u32 add count, per add: u64 id, string destination, u32 header count, per header: string key,
 *   string value; bytes body. Then u32 remove count, per remove: u64 id.
 *   (string = bytes of its UTF-8; bytes = u32 length + the bytes; all integers little-endian.)
 *
 * Compaction re-writes a segment's live messages (same ids) into the current segment and deletes
 * the old file. A remove must stay on disk as long as the add it cancels does, so a compacted
 * segment's removes of adds still in older segments are re-written with its live messages, and a
 * segment with nothing live is deleted only once those older segments are gone.
 */
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';

/** A persistent message as stored. `id` is the broker's sequence number, unique and increasing per journal. */
export interface StoredMessage {
  readonly id: number;
  readonly destination: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** One atomic unit written to the journal: messages added and message ids removed (acknowledged), all or nothing. */
export interface JournalBatch {
  readonly adds?: readonly StoredMessage[];
  readonly removes?: readonly number[];
}

export interface JournalOptions {
  /** Size at which the current segment file is closed and a new one started. Default 32 MiB. */
  readonly segmentBytes?: number;
  /** fsync after each group write (default true). false = no fsync (for tests of speed only). */
  readonly fsync?: boolean;
}

export interface JournalStats {
  segments: number;
  bytesOnDisk: number;
  liveMessages: number;
  fsyncs: number;
}

const DEFAULT_SEGMENT_BYTES = 32 * 1024 * 1024;
const RECORD_HEADER_BYTES = 8;
const SEGMENT_FILE = /^journal-(\d+)\.log$/;

function segmentFileName(seq: number): string {
  return `journal-${String(seq).padStart(6, '0')}.log`;
}

// ---------------------------------------------------------------------------------------------
// Record encoding

/** Thrown by Reader when a payload does not decode; never escapes this module. */
class CorruptRecordError extends Error {}

class Writer {
  constructor(
    private readonly buffer: Buffer,
    private offset: number,
  ) {}

  u32(value: number): void {
    this.offset = this.buffer.writeUInt32LE(value, this.offset);
  }

  id(value: number): void {
    this.offset = this.buffer.writeBigUInt64LE(BigInt(value), this.offset);
  }

  string(value: string): void {
    const length = Buffer.byteLength(value, 'utf8');
    this.u32(length);
    this.offset += this.buffer.write(value, this.offset, length, 'utf8');
  }

  bytes(value: Uint8Array): void {
    this.u32(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
  }
}

class Reader {
  private offset = 0;

  constructor(private readonly buffer: Buffer) {}

  get atEnd(): boolean {
    return this.offset === this.buffer.length;
  }

  u32(): number {
    return this.take(4).readUInt32LE(0);
  }

  id(): number {
    const value = this.take(8).readBigUInt64LE(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new CorruptRecordError();
    return Number(value);
  }

  string(): string {
    return this.take(this.u32()).toString('utf8');
  }

  /** A copy, so a recovered message does not keep the whole segment file in memory. */
  bytes(): Buffer {
    return Buffer.from(this.take(this.u32()));
  }

  private take(length: number): Buffer {
    if (this.offset + length > this.buffer.length) throw new CorruptRecordError();
    const slice = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

const stringBytes = (value: string): number => 4 + Buffer.byteLength(value, 'utf8');

function checkId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`journal message id must be a non-negative safe integer, got ${id}`);
}

function messageBytes(message: StoredMessage): number {
  let bytes = 8 + stringBytes(message.destination) + 4 + 4 + message.body.length;
  for (const [key, value] of Object.entries(message.headers)) bytes += stringBytes(key) + stringBytes(value);
  return bytes;
}

/** Encodes a batch as one complete record, header included. Throws on an id that cannot be stored. */
function encodeRecord(batch: JournalBatch): Buffer {
  const adds = batch.adds ?? [];
  const removes = batch.removes ?? [];
  let payloadBytes = 4 + 4 + 8 * removes.length;
  for (const message of adds) payloadBytes += messageBytes(message);

  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payloadBytes);
  const writer = new Writer(record, RECORD_HEADER_BYTES);
  writer.u32(adds.length);
  for (const message of adds) {
    checkId(message.id);
    writer.id(message.id);
    writer.string(message.destination);
    const headers = Object.entries(message.headers);
    writer.u32(headers.length);
    for (const [key, value] of headers) {
      writer.string(key);
      writer.string(value);
    }
    writer.bytes(message.body);
  }
  writer.u32(removes.length);
  for (const id of removes) {
    checkId(id);
    writer.id(id);
  }

  const payload = record.subarray(RECORD_HEADER_BYTES);
  record.writeUInt32LE(payload.length, 0);
  record.writeUInt32LE(crc32(payload), 4);
  return record;
}

/** Decodes a payload whose crc matched; undefined if it is still not a well-formed batch. */
function decodeBatch(payload: Buffer): JournalBatch | undefined {
  const reader = new Reader(payload);
  try {
    const adds: StoredMessage[] = [];
    for (let count = reader.u32(); count > 0; count--) {
      const id = reader.id();
      const destination = reader.string();
      const headers: [string, string][] = [];
      for (let headerCount = reader.u32(); headerCount > 0; headerCount--) headers.push([reader.string(), reader.string()]);
      // fromEntries defines own properties, so a header named __proto__ stays a header.
      adds.push({ id, destination, headers: Object.fromEntries(headers), body: reader.bytes() });
    }
    const removes: number[] = [];
    for (let count = reader.u32(); count > 0; count--) removes.push(reader.id());
    return reader.atEnd ? { adds, removes } : undefined;
  } catch (error) {
    if (error instanceof CorruptRecordError) return undefined;
    throw error;
  }
}

/**
 * Decodes the records of one segment up to the first one that is torn or corrupt.
 * `validBytes` is where that record starts (the file's length when all are intact).
 */
function scanRecords(data: Buffer): { batches: JournalBatch[]; validBytes: number } {
  const batches: JournalBatch[] = [];
  let offset = 0;
  while (offset + RECORD_HEADER_BYTES <= data.length) {
    const end = offset + RECORD_HEADER_BYTES + data.readUInt32LE(offset);
    if (end > data.length) break;
    const payload = data.subarray(offset + RECORD_HEADER_BYTES, end);
    if (crc32(payload) !== data.readUInt32LE(offset + 4)) break;
    const batch = decodeBatch(payload);
    if (batch === undefined) break;
    batches.push(batch);
    offset = end;
  }
  return { batches, validBytes: offset };
}

// ---------------------------------------------------------------------------------------------
// Index of live messages per segment

interface Segment {
  readonly seq: number;
  readonly path: string;
  size: number;
  /** Adds written to this segment, live or not: the denominator of the compaction rule. */
  adds: number;
  /** Ids whose newest copy is in this segment and that are not removed. */
  readonly live: Set<number>;
  /**
   * Ids this segment removed or superseded (by a newer copy), keyed by the older segment that
   * still holds an add of each. This segment must outlive those segments, or recovery would bring
   * those adds back.
   */
  readonly shadows: Map<number, number[]>;
}

function newSegment(dir: string, seq: number): Segment {
  return { seq, path: join(dir, segmentFileName(seq)), size: 0, adds: 0, live: new Set(), shadows: new Map() };
}

function addShadow(segment: Segment, olderSeq: number, id: number): void {
  if (olderSeq === segment.seq) return;
  const ids = segment.shadows.get(olderSeq);
  if (ids) ids.push(id);
  else segment.shadows.set(olderSeq, [id]);
}

class SegmentIndex {
  /** In ascending seq order: segments are only ever added with a higher seq. */
  readonly segments = new Map<number, Segment>();
  /** Message id → the segment holding its newest copy, for ids not removed. */
  private readonly holder = new Map<number, Segment>();

  get liveMessages(): number {
    return this.holder.size;
  }

  isLive(id: number): boolean {
    return this.holder.has(id);
  }

  addSegment(segment: Segment): void {
    this.segments.set(segment.seq, segment);
  }

  deleteSegment(segment: Segment): void {
    this.segments.delete(segment.seq);
    for (const other of this.segments.values()) other.shadows.delete(segment.seq);
  }

  /** Records a batch written to `segment`. Removes of unknown ids are ignored. */
  apply(segment: Segment, batch: JournalBatch): void {
    for (const { id } of batch.adds ?? []) {
      this.release(id, segment);
      this.holder.set(id, segment);
      segment.live.add(id);
      segment.adds += 1;
    }
    for (const id of batch.removes ?? []) {
      this.release(id, segment);
      this.holder.delete(id);
    }
  }

  /** A segment can go once nothing in it is live and it shadows nothing still on disk. */
  isObsolete(segment: Segment): boolean {
    return segment.live.size === 0 && segment.shadows.size === 0;
  }

  /**
   * Before `from` is deleted, hands each of its shadows to the segment that now holds a record
   * of that id: the newest copy's segment for a live id, else `to`, where it was re-written as a remove.
   */
  moveShadows(from: Segment, to: Segment): void {
    for (const [olderSeq, ids] of from.shadows) {
      for (const id of ids) addShadow(this.holder.get(id) ?? to, olderSeq, id);
    }
  }

  private release(id: number, by: Segment): void {
    const previous = this.holder.get(id);
    if (previous === undefined) return;
    previous.live.delete(id);
    addShadow(by, previous.seq, id);
  }
}

// ---------------------------------------------------------------------------------------------
// File helpers

async function listSegments(dir: string): Promise<number[]> {
  const seqs: number[] = [];
  for (const name of await readdir(dir)) {
    const match = SEGMENT_FILE.exec(name);
    if (match) seqs.push(Number(match[1]));
  }
  return seqs.sort((a, b) => a - b);
}

async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
    written += bytesWritten;
  }
}

function replay(messages: Map<number, StoredMessage>, batch: JournalBatch): void {
  for (const message of batch.adds ?? []) messages.set(message.id, message);
  for (const id of batch.removes ?? []) messages.delete(id);
}

function highestId(batch: JournalBatch): number {
  let highest = 0;
  for (const { id } of batch.adds ?? []) highest = Math.max(highest, id);
  for (const id of batch.removes ?? []) highest = Math.max(highest, id);
  return highest;
}

// ---------------------------------------------------------------------------------------------
// Journal

interface PendingWrite {
  readonly batch: JournalBatch;
  readonly record: Buffer;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

export class Journal {
  private readonly pending: PendingWrite[] = [];
  private draining = false;
  /** Settles when the latest drain of `pending` has finished. */
  private idle: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private closed = false;
  private failure: Error | undefined;
  private fsyncs = 0;

  private constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly fsync: boolean,
    private readonly index: SegmentIndex,
    private current: Segment,
    private handle: FileHandle,
  ) {}

  /** Opens (creating the directory if needed) and recovers: returns the journal and every message added and not removed, sorted by id. Also the next id to use (max id seen + 1, or 1). */
  static async open(dir: string, options: JournalOptions = {}): Promise<{ journal: Journal; recovered: StoredMessage[]; nextId: number }> {
    const fsync = options.fsync ?? true;
    await mkdir(dir, { recursive: true });
    const index = new SegmentIndex();
    const messages = new Map<number, StoredMessage>();
    let maxId = 0;
    let last: { segment: Segment; validBytes: number } | undefined;
    for (const seq of await listSegments(dir)) {
      const segment = newSegment(dir, seq);
      const data = await readFile(segment.path);
      const { batches, validBytes } = scanRecords(data);
      segment.size = data.length;
      index.addSegment(segment);
      for (const batch of batches) {
        index.apply(segment, batch);
        replay(messages, batch);
        maxId = Math.max(maxId, highestId(batch));
      }
      last = { segment, validBytes };
    }

    const { current, handle } = last ? await Journal.reopenLast(last.segment, last.validBytes, fsync) : await Journal.createFirst(dir, index);
    const journal = new Journal(dir, options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, fsync, index, current, handle);
    if (!last) {
      await journal.syncDirectory().catch(async (error: unknown) => {
        await handle.close();
        throw error;
      });
    }
    const recovered = [...messages.values()].sort((a, b) => a.id - b.id);
    return { journal, recovered, nextId: maxId + 1 };
  }

  /** Opens the last segment for appending, cutting off a record torn by a crash mid-write. */
  private static async reopenLast(segment: Segment, validBytes: number, fsync: boolean): Promise<{ current: Segment; handle: FileHandle }> {
    const handle = await open(segment.path, 'r+');
    if (validBytes < segment.size) {
      try {
        await handle.truncate(validBytes);
        if (fsync) await handle.sync();
      } catch (error) {
        await handle.close();
        throw error;
      }
      segment.size = validBytes;
    }
    return { current: segment, handle };
  }

  private static async createFirst(dir: string, index: SegmentIndex): Promise<{ current: Segment; handle: FileHandle }> {
    const segment = newSegment(dir, 1);
    const handle = await open(segment.path, 'wx');
    index.addSegment(segment);
    return { current: segment, handle };
  }

  /** Queues a batch for the next group write; resolves once it is written AND fsynced (group commit: every batch queued while one fsync runs shares the next write+fsync). Rejects if the journal is closed or the write fails. */
  write(batch: JournalBatch): Promise<void> {
    if (this.closed) return Promise.reject(new Error(`Journal ${this.dir} is closed: write() after close() is not allowed`));
    if (this.failure) return Promise.reject(this.failedError());
    let record: Buffer;
    try {
      record = encodeRecord(batch);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ batch, record, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        this.idle = this.drain();
      }
    });
  }

  /** Bytes and counts for stats lines. */
  stats(): JournalStats {
    let bytesOnDisk = 0;
    for (const segment of this.index.segments.values()) bytesOnDisk += segment.size;
    return {
      segments: this.index.segments.size,
      bytesOnDisk,
      liveMessages: this.index.liveMessages,
      fsyncs: this.fsyncs,
    };
  }

  /** Waits for pending writes, then closes files. Later write() rejects with a clear Error. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    await this.idle;
    await this.handle.close();
  }

  /**
   * Writes groups until nothing is pending: the first caller's batch goes out at once, and every
   * batch queued while a group is being written and fsynced joins the next group. Never rejects;
   * outcomes go to the callers' promises.
   */
  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        await this.commit(this.pending.splice(0));
        if (!this.failure) await this.compactOrFail();
      }
    } finally {
      this.draining = false;
    }
  }

  private async commit(group: PendingWrite[]): Promise<void> {
    if (this.failure) {
      for (const write of group) write.reject(this.failedError());
      return;
    }
    try {
      const segment = await this.append(Buffer.concat(group.map((write) => write.record)));
      for (const write of group) this.index.apply(segment, write.batch);
    } catch (error) {
      this.failure = error as Error;
      for (const write of group) write.reject(this.failure);
      return;
    }
    for (const write of group) write.resolve();
  }

  private async compactOrFail(): Promise<void> {
    try {
      await this.compact();
    } catch (error) {
      this.failure = error as Error;
    }
  }

  private failedError(): Error {
    return new Error(`Journal ${this.dir} accepts no more writes after an earlier I/O error: ${this.failure?.message}`, {
      cause: this.failure,
    });
  }

  /** Writes and fsyncs `data` at the end of the current segment, first rolling to a new one if it would overflow. */
  private async append(data: Buffer): Promise<Segment> {
    if (this.current.size > 0 && this.current.size + data.length > this.segmentBytes) await this.roll();
    await writeFully(this.handle, data, this.current.size);
    this.current.size += data.length;
    if (this.fsync) {
      await this.handle.datasync();
      this.fsyncs += 1;
    }
    return this.current;
  }

  private async roll(): Promise<void> {
    const segment = newSegment(this.dir, this.current.seq + 1);
    const handle = await open(segment.path, 'wx');
    const previous = this.handle;
    this.handle = handle;
    this.current = segment;
    this.index.addSegment(segment);
    await previous.close();
    await this.syncDirectory();
  }

  /**
   * Deletes segments nothing needs any more; then, while more than two segments besides the
   * current one exist, compacts the oldest one with fewer than half of its adds still live.
   */
  private async compact(): Promise<void> {
    await this.deleteObsoleteSegments();
    for (let candidate = this.compactionCandidate(); candidate; candidate = this.compactionCandidate()) {
      await this.copyForward(candidate);
      await this.deleteObsoleteSegments();
    }
  }

  private async deleteObsoleteSegments(): Promise<void> {
    for (const segment of [...this.index.segments.values()]) {
      if (segment !== this.current && this.index.isObsolete(segment)) await this.deleteSegment(segment);
    }
  }

  private compactionCandidate(): Segment | undefined {
    if (this.index.segments.size - 1 <= 2) return undefined;
    for (const segment of this.index.segments.values()) {
      if (segment !== this.current && segment.live.size * 2 < segment.adds) return segment;
    }
    return undefined;
  }

  /**
   * Re-writes into the current segment, as one fsynced record, the live messages of `segment`
   * with their ids and the removes of it that older segments still need; only then deletes its
   * file. A crash in between leaves two copies of a message; recovery keeps one.
   */
  private async copyForward(segment: Segment): Promise<void> {
    const adds = new Map<number, StoredMessage>();
    for (const batch of scanRecords(await readFile(segment.path)).batches) {
      for (const message of batch.adds ?? []) if (segment.live.has(message.id)) adds.set(message.id, message);
    }
    const removes = [...segment.shadows.values()].flat().filter((id) => !this.index.isLive(id));
    const batch: JournalBatch = { adds: [...adds.values()], removes };
    const target = await this.append(encodeRecord(batch));
    this.index.apply(target, batch);
    this.index.moveShadows(segment, target);
    await this.deleteSegment(segment);
  }

  /** Unlinks a segment and makes that durable before any segment depending on it can go. */
  private async deleteSegment(segment: Segment): Promise<void> {
    await unlink(segment.path);
    this.index.deleteSegment(segment);
    await this.syncDirectory();
  }

  private async syncDirectory(): Promise<void> {
    if (!this.fsync) return;
    await syncDirectory(this.dir);
    this.fsyncs += 1;
  }
}

/** Makes a file's creation or deletion durable. */
async function syncDirectory(dir: string): Promise<void> {
  // Windows cannot open a directory for fsync; NTFS journals the directory entry itself.
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

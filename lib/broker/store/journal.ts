/*
 * Durable store of the embedded broker: an append-only journal of segment files.
 *
 * Hand-written: it is on the hot path of every persistent message, and its contract is narrow
 * (group-committed fsyncs, crc-checked recovery that skips damage and cuts a torn tail,
 * compaction by live message id); no dependency offers that without bringing in a
 * general-purpose database.
 *
 * Segment file `journal-NNNNNN.log` is a sequence of records. A record of format 2 is
 *   [u32 magic 0xC1524A4E][u16 version 2][u16 flags][u32 payload length][u32 crc32 of payload]
 *   [u32 position][u32 crc32 of the 20 header bytes before it][payload]
 * where position is the record's own offset in its segment (mod 2^32). Its payload is one
 * JournalBatch:
 *   u32 add count, per add: u64 id, u32 deliveries, string destination, u32 header count, per
 *   header: string key, string value; bytes body. Then u32 remove count, per remove: u64 id.
 *   Then u32 delivery count updates, per update: u64 id, u32 deliveries.
 *   With flag 0x0001 (FLAG_SCHEDULES), then the schedules of the batch's scheduled adds (messages
 *   the broker's scheduler holds until their time): u32 count, per schedule: u64 id (of an add
 *   of this batch), u64 due (ms since the epoch), u32 remaining (copies after the one at due),
 *   u8 kind (0: a run of copies, 1: a cron entry).
 *   (string = bytes of its UTF-8; bytes = u32 length + the bytes; all integers little-endian.)
 * Flags were 0 before scheduled delivery, and a batch without a scheduled add is still written
 * with flags 0, byte for byte as before: only journals holding scheduled messages differ. A
 * version that predates the flag reads such a record as damaged (its payload has bytes after the
 * delivery counts) and says so in its recovery report; a version that finds a flag it does not
 * know refuses the journal, as it refuses a newer format, rather than drop the flagged records.
 * Format 1 (journals written before format 2; still read, never written) is
 *   [u32 payload length][u32 crc32 of payload][payload] with adds without deliveries and no
 *   delivery count updates. A segment may hold format 1 records followed by format 2 ones.
 *
 * Why that header: recovery must find the next intact record after a damaged one. The header's
 * own checksum says whether its length can be trusted (then the damaged record is skipped whole);
 * when it cannot, recovery scans forward for the next offset holding a valid header. The magic
 * makes that scan cheap, and the position makes it unambiguous: a record copied into a message
 * body (a journal file sent as a message, say) sits at another offset than the one it names,
 * so it is never taken for a record of this segment.
 *
 * A scheduled message's next state (a new due time, one copy fewer to go) is written as a new
 * copy of it, same id and schedule updated, which supersedes the older copy as any copy does.
 *
 * Compaction re-writes a segment's live messages (same ids, with their delivery counts and
 * schedules) into the current segment and deletes the old file. A remove must stay on disk as
 * long as the add it cancels does, so a compacted segment's removes of adds still in older
 * segments are re-written with its live messages, and a segment with nothing live is deleted only
 * once those older segments are gone. A delivery count update stays on disk until a newer record of that count
 * (an update, or a copy of the message) or the message's remove is written.
 */
import { mkdir, open, readdir, readFile, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ActiveMQError } from '../../errors/activemq-error.js';

/** A persistent message as stored. `id` is the broker's sequence number, unique and increasing per journal. */
export interface StoredMessage {
  readonly id: number;
  readonly destination: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** Times it was delivered and given back (NACKed) so far; absent means 0. */
  readonly deliveries?: number;
  /** Present for a message the scheduler holds until its time (`AMQ_SCHEDULED_*` headers): where its schedule stands. */
  readonly schedule?: StoredSchedule;
}

/**
 * Where a scheduled message's schedule stands, journaled with it so that a restarted broker goes
 * on from there (its delay, period, repeat and cron are its headers, kept with it).
 */
export interface StoredSchedule {
  /** When it is due next, in ms since the epoch (absolute, so that a restart does not move it). */
  readonly due: number;
  /** Copies still to be delivered after the one due at {@link due}; 0 for a cron entry. */
  readonly remaining: number;
  /** True for a cron entry: when due, it starts a run of copies and waits for the cron's next time. */
  readonly cron: boolean;
}

/** A stored message's delivery count, updated without writing the message again. */
export interface DeliveryCount {
  readonly id: number;
  readonly deliveries: number;
}

/** One atomic unit written to the journal: messages added, message ids removed (acknowledged) and delivery counts updated, all or nothing. */
export interface JournalBatch {
  readonly adds?: readonly StoredMessage[];
  readonly removes?: readonly number[];
  /** New delivery counts of stored messages; an update of an id not stored (any more) is ignored. */
  readonly deliveryCounts?: readonly DeliveryCount[];
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

/** Bytes recovery skipped because no intact record could be read from them. */
export interface JournalDamage {
  /** The segment file's name (in the journal's directory). */
  readonly segment: string;
  /** Offset of the first byte skipped. */
  readonly start: number;
  /** Offset after the last byte skipped. */
  readonly end: number;
  /**
   * Records lost there: exact for records whose header was intact; a stretch whose record
   * headers are unreadable counts as one record, so this is a lower bound.
   */
  readonly records: number;
  /** Why the first of them could not be read. */
  readonly reason: string;
}

/** What the journal found when it was opened: every loss is listed here, nothing is skipped silently. */
export interface JournalRecoveryReport {
  /** Segment files read. */
  readonly segments: number;
  /** Intact records read. */
  readonly records: number;
  /** Damaged stretches skipped, in file order; the messages, acknowledgements and delivery counts in them are lost. */
  readonly damaged: readonly JournalDamage[];
  /** Records lost to damage (at least; see {@link JournalDamage.records}). */
  readonly recordsSkipped: number;
  /**
   * Bytes after the last intact record of the last segment, cut off: a write the crash
   * interrupted, normal after one (it was not acknowledged, as its fsync never returned).
   */
  readonly tornTail?: {
    /** The segment's file name. */
    readonly segment: string;
    /** Where the cut-off bytes began. */
    readonly offset: number;
    /** How many bytes were cut off. */
    readonly bytes: number;
  };
}

/**
 * The journal's data directory cannot be used (it is a file, a segment is a directory or cannot
 * be read, permissions, a journal of a newer format): nothing was changed on disk.
 */
export class DataDirError extends ActiveMQError {
  /**
   * Builds the one-line message from the directory, the code and the reason.
   *
   * @param dataDir The journal's directory.
   * @param path The file or directory at fault.
   * @param code The system's error code (`EISDIR`, `EACCES`, `ENOTDIR`, ...), `ENOTFILE` (a segment that is
   *   a FIFO, socket or device) or `EJOURNALFORMAT` (a journal written by a newer version).
   * @param reason What is wrong, in words.
   * @param options `cause`: the system's error, if any.
   */
  constructor(
    readonly dataDir: string,
    readonly path: string,
    code: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot use the data directory ${dataDir}: ${reason} (${code})`, { ...options, code });
  }
}

const DEFAULT_SEGMENT_BYTES = 32 * 1024 * 1024;
const SEGMENT_FILE = /^journal-(\d+)\.log$/;

const MAGIC = 0xc1524a4e;
const MAGIC_BYTES = Buffer.alloc(4);
MAGIC_BYTES.writeUInt32LE(MAGIC);
const FORMAT = 2;
/** Header flag: the payload ends with the schedules of the batch's scheduled adds. */
const FLAG_SCHEDULES = 0x0001;
/** Every flag this version reads; a record with another is refused as written by a newer version. */
const KNOWN_FLAGS = FLAG_SCHEDULES;
/** Bytes of one schedule in the payload: u64 id, u64 due, u32 remaining, u8 kind. */
const SCHEDULE_BYTES = 21;
const HEADER_BYTES = 24;
/** Bytes of the header its checksum covers: everything before the checksum. */
const CHECKED_HEADER_BYTES = 20;
const LEGACY_HEADER_BYTES = 8;
/** The smallest format 1 payload: an add count and a remove count. */
const LEGACY_MIN_PAYLOAD = 8;
const MAX_U32 = 0xffffffff;

function segmentFileName(seq: number): string {
  return `journal-${String(seq).padStart(6, '0')}.log`;
}

// ---------------------------------------------------------------------------------------------
// Record encoding

/** Thrown by Reader when a payload does not decode; never escapes this module. */
class CorruptRecordError extends Error {}
/** One instance: recovery's scan may try many offsets that do not decode, and a stack trace each would cost. */
const CORRUPT = new CorruptRecordError('corrupt record');

/** A record whose header checksum is valid names a format, or a flag, this version does not know. */
class NewerFormatError extends Error {
  constructor(
    readonly format: number,
    /** The flags it does not know; 0 when the format itself is unknown. */
    readonly flags = 0,
  ) {
    super(`journal record format ${format}${flags === 0 ? '' : ` with flags 0x${flags.toString(16).padStart(4, '0')}`}`);
  }
}

class Writer {
  constructor(
    private readonly buffer: Buffer,
    private offset: number,
  ) {}

  u32(value: number): void {
    this.offset = this.buffer.writeUInt32LE(value, this.offset);
  }

  u8(value: number): void {
    this.offset = this.buffer.writeUInt8(value, this.offset);
  }

  /** A u64 holding a safe integer: a message id, or a time in ms. */
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

  u8(): number {
    return this.take(1).readUInt8(0);
  }

  u32(): number {
    return this.take(4).readUInt32LE(0);
  }

  /** A u64 that must be a safe integer (a message id, or a time in ms); anything larger is damage. */
  id(): number {
    const value = this.take(8).readBigUInt64LE(0);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw CORRUPT;
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
    if (this.offset + length > this.buffer.length) throw CORRUPT;
    const slice = this.buffer.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

const stringBytes = (value: string): number => 4 + Buffer.byteLength(value, 'utf8');

function checkId(id: number): void {
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`journal message id must be a non-negative safe integer, got ${id}`);
}

function checkDeliveries(deliveries: number): void {
  if (!Number.isInteger(deliveries) || deliveries < 0 || deliveries > MAX_U32)
    throw new RangeError(`journal delivery count must be a whole number from 0 to ${MAX_U32}, got ${deliveries}`);
}

function checkSchedule({ due, remaining }: StoredSchedule): void {
  if (!Number.isSafeInteger(due) || due < 0) throw new RangeError(`journal schedule due time must be a non-negative safe integer of ms, got ${due}`);
  if (!Number.isInteger(remaining) || remaining < 0 || remaining > MAX_U32)
    throw new RangeError(`journal schedule remaining count must be a whole number from 0 to ${MAX_U32}, got ${remaining}`);
}

function messageBytes(message: StoredMessage): number {
  let bytes = 8 + 4 + stringBytes(message.destination) + 4 + 4 + message.body.length;
  for (const [key, value] of Object.entries(message.headers)) bytes += stringBytes(key) + stringBytes(value);
  return bytes;
}

/**
 * Encodes a batch as one complete record, header included but for its position and header
 * checksum, which {@link placeRecord} writes once the record's place in a segment is known.
 * Throws on an id, count or schedule that cannot be stored. A batch with scheduled adds gets the
 * schedules flag and section; any other is encoded exactly as before the flag existed.
 */
function encodeRecord(batch: JournalBatch): Buffer {
  const adds = batch.adds ?? [];
  const removes = batch.removes ?? [];
  const counts = batch.deliveryCounts ?? [];
  const scheduled = adds.filter((message) => message.schedule !== undefined);
  let payloadBytes = 4 + 4 + 8 * removes.length + 4 + 12 * counts.length;
  for (const message of adds) payloadBytes += messageBytes(message);
  if (scheduled.length > 0) payloadBytes += 4 + SCHEDULE_BYTES * scheduled.length;

  const record = Buffer.allocUnsafe(HEADER_BYTES + payloadBytes);
  const writer = new Writer(record, HEADER_BYTES);
  writer.u32(adds.length);
  for (const message of adds) {
    checkId(message.id);
    checkDeliveries(message.deliveries ?? 0);
    writer.id(message.id);
    writer.u32(message.deliveries ?? 0);
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
  writer.u32(counts.length);
  for (const { id, deliveries } of counts) {
    checkId(id);
    checkDeliveries(deliveries);
    writer.id(id);
    writer.u32(deliveries);
  }
  if (scheduled.length > 0) {
    writer.u32(scheduled.length);
    for (const { id, schedule } of scheduled) {
      checkSchedule(schedule!);
      writer.id(id);
      writer.id(schedule!.due);
      writer.u32(schedule!.remaining);
      writer.u8(schedule!.cron ? 1 : 0);
    }
  }

  const payload = record.subarray(HEADER_BYTES);
  record.writeUInt32LE(MAGIC, 0);
  record.writeUInt16LE(FORMAT, 4);
  record.writeUInt16LE(scheduled.length > 0 ? FLAG_SCHEDULES : 0, 6);
  record.writeUInt32LE(payload.length, 8);
  record.writeUInt32LE(crc32(payload), 12);
  return record;
}

/** Completes a record's header for its offset in the segment it is about to be written to. */
function placeRecord(record: Buffer, position: number): void {
  record.writeUInt32LE(position % 2 ** 32, 16);
  record.writeUInt32LE(crc32(record.subarray(0, CHECKED_HEADER_BYTES)), CHECKED_HEADER_BYTES);
}

/** Decodes a payload; undefined if it is not a well-formed batch of that format and flags. */
function decodeBatch(payload: Buffer, format: 1 | 2, flags = 0): JournalBatch | undefined {
  const reader = new Reader(payload);
  try {
    const adds: StoredMessage[] = [];
    for (let count = reader.u32(); count > 0; count--) {
      const id = reader.id();
      const deliveries = format === 2 ? reader.u32() : 0;
      const destination = reader.string();
      const headers: [string, string][] = [];
      for (let headerCount = reader.u32(); headerCount > 0; headerCount--) headers.push([reader.string(), reader.string()]);
      // fromEntries defines own properties, so a header named __proto__ stays a header.
      const message: StoredMessage = { id, destination, headers: Object.fromEntries(headers), body: reader.bytes() };
      adds.push(deliveries > 0 ? { ...message, deliveries } : message);
    }
    const removes: number[] = [];
    for (let count = reader.u32(); count > 0; count--) removes.push(reader.id());
    const deliveryCounts: DeliveryCount[] = [];
    if (format === 2) for (let count = reader.u32(); count > 0; count--) deliveryCounts.push({ id: reader.id(), deliveries: reader.u32() });
    const scheduled = (flags & FLAG_SCHEDULES) !== 0 ? withSchedules(adds, reader) : adds;
    return reader.atEnd ? { adds: scheduled, removes, deliveryCounts } : undefined;
  } catch (error) {
    if (error instanceof CorruptRecordError) return undefined;
    throw error;
  }
}

/** Reads a payload's schedules section and returns `adds` with their schedules; throws CORRUPT for a schedule of no add of the batch or of an unknown kind. */
function withSchedules(adds: readonly StoredMessage[], reader: Reader): StoredMessage[] {
  const ids = new Set(adds.map((message) => message.id));
  const schedules = new Map<number, StoredSchedule>();
  for (let count = reader.u32(); count > 0; count--) {
    const id = reader.id();
    const due = reader.id();
    const remaining = reader.u32();
    const kind = reader.u8();
    if (kind > 1 || !ids.has(id)) throw CORRUPT;
    schedules.set(id, { due, remaining, cron: kind === 1 });
  }
  return adds.map((message) => {
    const schedule = schedules.get(message.id);
    return schedule ? { ...message, schedule } : message;
  });
}

// ---------------------------------------------------------------------------------------------
// Reading a segment

/** An intact record of a segment. */
export interface SegmentRecord {
  readonly offset: number;
  /** Offset after its last byte. */
  readonly end: number;
  readonly batch: JournalBatch;
}

/** What a segment's bytes hold: its intact records and, between and after them, the damaged stretches, together covering every byte. */
export interface SegmentContents {
  readonly records: readonly SegmentRecord[];
  readonly damaged: ReadonlyArray<Omit<JournalDamage, 'segment'>>;
}

/** An intact record; or a damaged one, with `end` when its header is intact (so its length is known) and `format` 2 when it has a valid header. */
type ReadOutcome =
  | { readonly batch: JournalBatch; readonly end: number; readonly format: 1 | 2 }
  | { readonly batch?: undefined; readonly end?: number; readonly format?: 2; readonly reason: string };

/** The payload length, crc and flags of a valid format 2 header at `at`, else undefined. Throws NewerFormatError for a valid header of another format or with a flag it does not know. */
function headerAt(data: Buffer, at: number): { length: number; crc: number; flags: number } | undefined {
  if (at + HEADER_BYTES > data.length || data.readUInt32LE(at) !== MAGIC) return undefined;
  if (crc32(data.subarray(at, at + CHECKED_HEADER_BYTES)) !== data.readUInt32LE(at + CHECKED_HEADER_BYTES)) return undefined;
  // A valid header naming another offset was copied here (inside a message body): not a record of this segment.
  if (data.readUInt32LE(at + 16) !== at % 2 ** 32) return undefined;
  const format = data.readUInt16LE(at + 4);
  if (format !== FORMAT) throw new NewerFormatError(format);
  const flags = data.readUInt16LE(at + 6);
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new NewerFormatError(format, flags & ~KNOWN_FLAGS);
  return { length: data.readUInt32LE(at + 8), crc: data.readUInt32LE(at + 12), flags };
}

/** A complete, intact format 1 record at `at`. Its structure is checked before its crc, as that refuses random bytes sooner. */
function legacyRecordAt(data: Buffer, at: number): { batch: JournalBatch; end: number } | undefined {
  if (at + LEGACY_HEADER_BYTES > data.length) return undefined;
  const length = data.readUInt32LE(at);
  const end = at + LEGACY_HEADER_BYTES + length;
  // Zeros (a file extended but not written before a crash) are refused here, without decoding.
  if (length < LEGACY_MIN_PAYLOAD || end > data.length) return undefined;
  const payload = data.subarray(at + LEGACY_HEADER_BYTES, end);
  const batch = decodeBatch(payload, 1);
  if (batch === undefined || crc32(payload) !== data.readUInt32LE(at + 4)) return undefined;
  return { batch, end };
}

/** The record at `offset`. Format 1 records are accepted only while `legacy` holds. */
function readRecordAt(data: Buffer, offset: number, legacy: boolean): ReadOutcome {
  const header = headerAt(data, offset);
  if (header) {
    const end = offset + HEADER_BYTES + header.length;
    if (end > data.length) return { format: 2, reason: 'the record runs past the end of the segment' };
    const payload = data.subarray(offset + HEADER_BYTES, end);
    if (crc32(payload) !== header.crc) return { end, format: 2, reason: 'checksum mismatch' };
    const batch = decodeBatch(payload, 2, header.flags);
    return batch ? { batch, end, format: 2 } : { end, format: 2, reason: 'the record does not decode' };
  }
  const old = legacy ? legacyRecordAt(data, offset) : undefined;
  if (old) return { ...old, format: 1 };
  return { reason: data.length - offset < HEADER_BYTES ? 'a partial record header' : 'unreadable record header' };
}

/** The next offset from `from` where a record starts: a valid format 2 header, or (while `legacy`) an intact format 1 record. */
function nextRecordStart(data: Buffer, from: number, legacy: boolean): number | undefined {
  if (!legacy) {
    for (let at = data.indexOf(MAGIC_BYTES, from); at !== -1; at = data.indexOf(MAGIC_BYTES, at + 1)) if (headerAt(data, at)) return at;
    return undefined;
  }
  for (let at = from; at + LEGACY_HEADER_BYTES <= data.length; at++) if (headerAt(data, at) || legacyRecordAt(data, at)) return at;
  return undefined;
}

/**
 * Reads every intact record of a segment. A damaged record does not end the reading: when its
 * header is intact it is skipped whole, otherwise the scan resumes at the next offset where a
 * record starts. Throws NewerFormatError for a journal of a newer format. Exported for
 * diagnostics and tests.
 */
export function readSegment(data: Buffer): SegmentContents {
  const records: SegmentRecord[] = [];
  const damaged: Array<Omit<JournalDamage, 'segment'>> = [];
  // Format 1 records come before any format 2 one: once one is seen, only format 2 headers count.
  let legacy = true;
  let offset = 0;
  while (offset < data.length) {
    const outcome = readRecordAt(data, offset, legacy);
    if (outcome.format === 2) legacy = false;
    if (outcome.batch) {
      records.push({ offset, end: outcome.end, batch: outcome.batch });
      offset = outcome.end;
      continue;
    }
    const end = outcome.end ?? nextRecordStart(data, offset + 1, legacy) ?? data.length;
    const previous = damaged.at(-1);
    // Damaged records one after another are one stretch.
    if (previous && previous.end === offset) damaged[damaged.length - 1] = { ...previous, end, records: previous.records + 1 };
    else damaged.push({ start: offset, end, records: 1, reason: outcome.reason });
    offset = end;
  }
  return { records, damaged };
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
  /** Live ids whose newest delivery count is an update in this segment (their add is elsewhere or older). */
  readonly counts: Set<number>;
}

function newSegment(dir: string, seq: number): Segment {
  return { seq, path: join(dir, segmentFileName(seq)), size: 0, adds: 0, live: new Set(), shadows: new Map(), counts: new Set() };
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
  /** Live id → its delivery count, when not 0. */
  private readonly deliveries = new Map<number, number>();
  /** Live id → the segment whose update holds its newest delivery count; absent when its newest copy holds it. */
  private readonly countHolder = new Map<number, Segment>();

  get liveMessages(): number {
    return this.holder.size;
  }

  isLive(id: number): boolean {
    return this.holder.has(id);
  }

  deliveriesOf(id: number): number {
    return this.deliveries.get(id) ?? 0;
  }

  addSegment(segment: Segment): void {
    this.segments.set(segment.seq, segment);
  }

  deleteSegment(segment: Segment): void {
    this.segments.delete(segment.seq);
    for (const other of this.segments.values()) other.shadows.delete(segment.seq);
  }

  /** Records a batch written to `segment`. Removes and count updates of unknown ids are ignored. */
  apply(segment: Segment, batch: JournalBatch): void {
    for (const { id, deliveries } of batch.adds ?? []) {
      this.release(id, segment);
      this.holder.set(id, segment);
      segment.live.add(id);
      segment.adds += 1;
      this.setCount(id, deliveries ?? 0, undefined);
    }
    for (const id of batch.removes ?? []) {
      this.release(id, segment);
      this.holder.delete(id);
      this.setCount(id, 0, undefined);
    }
    for (const { id, deliveries } of batch.deliveryCounts ?? []) {
      if (this.holder.has(id)) this.setCount(id, deliveries, segment);
    }
  }

  /** A segment can go once nothing in it is live, it shadows nothing still on disk and holds no delivery count still needed. */
  isObsolete(segment: Segment): boolean {
    return segment.live.size === 0 && segment.shadows.size === 0 && segment.counts.size === 0;
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

  /** `updatedIn`: the segment of the update that recorded it; undefined when the id's newest copy (or its remove) did. */
  private setCount(id: number, deliveries: number, updatedIn: Segment | undefined): void {
    this.countHolder.get(id)?.counts.delete(id);
    this.countHolder.delete(id);
    if (deliveries > 0) this.deliveries.set(id, deliveries);
    else this.deliveries.delete(id);
    if (updatedIn) {
      this.countHolder.set(id, updatedIn);
      updatedIn.counts.add(id);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// File helpers

/** Runs a file system step of opening the journal, turning its failure into one clear DataDirError. */
async function step<T>(dir: string, path: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw dataDirError(dir, path, error);
  }
}

function dataDirError(dir: string, path: string, error: unknown): DataDirError {
  if (error instanceof DataDirError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  const name = path === dir ? dir : basename(path);
  const reasons: Record<string, string> = {
    EISDIR: `${name} is a directory, not a journal segment file (move it out of the data directory)`,
    ENOTDIR: path === dir ? `${dir} is not a directory (it, or a part of its path, is a file)` : `${name} is not a directory`,
    ENOENT: `${name} cannot be read: it does not exist (a broken link?)`,
    ELOOP: `${name} is a link that loops`,
    ENOTFILE: `${name} is not a regular file (a FIFO, socket or device named like a journal segment)`,
    EACCES: `permission denied on ${path} (the broker must read and write every file of the data directory)`,
    EPERM: `operation not permitted on ${path} (the broker must read and write every file of the data directory)`,
    EROFS: `${path} is on a read-only file system`,
    ENOSPC: `no space left on the device of ${dir}`,
  };
  const reason = reasons[code] ?? `${name}: ${(error as Error).message}`.replace(/\s*\n\s*/g, ' ');
  return new DataDirError(dir, path, code, reason, { cause: error });
}

/** Creates the directory if needed; refuses a path that exists and is not a directory. */
async function prepareDirectory(dir: string): Promise<void> {
  await step(dir, dir, async () => {
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      // mkdir says EEXIST for a file of that name: report what is wrong with it.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || (await stat(dir)).isDirectory()) throw error;
      throw Object.assign(new Error(`${dir} is a file`), { code: 'ENOTDIR' });
    }
  });
}

async function listSegments(dir: string): Promise<number[]> {
  const seqs: number[] = [];
  for (const name of await step(dir, dir, () => readdir(dir))) {
    const match = SEGMENT_FILE.exec(name);
    if (match) seqs.push(Number(match[1]));
  }
  return seqs.sort((a, b) => a - b);
}

/** Reads a segment file. Throws DataDirError for a file it cannot read or a format it does not know. */
async function readSegmentFile(dir: string, segment: Segment): Promise<SegmentContents> {
  const data = await step(dir, segment.path, async () => {
    const info = await stat(segment.path);
    // readFile would wait forever on a FIFO: refuse what is not a plain file before reading it.
    if (!info.isFile() && !info.isDirectory()) throw Object.assign(new Error(`not a regular file`), { code: 'ENOTFILE' });
    return readFile(segment.path);
  });
  segment.size = data.length;
  try {
    return readSegment(data);
  } catch (error) {
    if (!(error instanceof NewerFormatError)) throw error;
    const what = error.flags === 0 ? `format ${error.format}` : `format ${error.format} with flags 0x${error.flags.toString(16).padStart(4, '0')} it does not know`;
    const reason = `${basename(segment.path)} holds journal records of ${what}, written by a newer nestjs-activemq; this one reads formats 1 and ${FORMAT}`;
    throw new DataDirError(dir, segment.path, 'EJOURNALFORMAT', reason, { cause: error });
  }
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
  for (const { id, deliveries } of batch.deliveryCounts ?? []) {
    const message = messages.get(id);
    if (!message) continue;
    const { deliveries: _previous, ...rest } = message;
    messages.set(id, deliveries > 0 ? { ...rest, deliveries } : rest);
  }
}

function highestId(batch: JournalBatch): number {
  let highest = 0;
  for (const { id } of batch.adds ?? []) highest = Math.max(highest, id);
  for (const id of batch.removes ?? []) highest = Math.max(highest, id);
  for (const { id } of batch.deliveryCounts ?? []) highest = Math.max(highest, id);
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

/** What Journal.open returns. */
export interface OpenedJournal {
  readonly journal: Journal;
  /** Every message added and not removed, sorted by id, with its delivery count. */
  readonly recovered: StoredMessage[];
  /** The next id to use: max id seen + 1, or 1. */
  readonly nextId: number;
  /** What recovery read, skipped and cut off. */
  readonly report: JournalRecoveryReport;
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

  /**
   * Opens (creating the directory if needed) and recovers. Damaged records are skipped, not the
   * records after them, and listed in the report; an incomplete last write is cut off. Rejects
   * with {@link DataDirError} when the directory or a segment file cannot be used.
   */
  static async open(dir: string, options: JournalOptions = {}): Promise<OpenedJournal> {
    const fsync = options.fsync ?? true;
    await prepareDirectory(dir);
    const index = new SegmentIndex();
    const messages = new Map<number, StoredMessage>();
    const damaged: JournalDamage[] = [];
    let records = 0;
    let maxId = 0;
    let last: Segment | undefined;
    const seqs = await listSegments(dir);
    for (const seq of seqs) {
      const segment = newSegment(dir, seq);
      const contents = await readSegmentFile(dir, segment);
      index.addSegment(segment);
      for (const { batch } of contents.records) {
        index.apply(segment, batch);
        replay(messages, batch);
        maxId = Math.max(maxId, highestId(batch));
      }
      records += contents.records.length;
      damaged.push(...contents.damaged.map((d) => ({ segment: segmentFileName(seq), ...d })));
      last = segment;
    }

    // What follows the last intact record of the last segment is the write a crash interrupted:
    // cut off, as appends go there. Damage anywhere else stays on disk, skipped at every start.
    const lastDamage = damaged.at(-1);
    const tail = last && lastDamage?.segment === segmentFileName(last.seq) && lastDamage.end === last.size ? damaged.pop() : undefined;
    const { current, handle } = last ? await Journal.reopenLast(dir, last, tail?.start, fsync) : await Journal.createFirst(dir, index);
    const journal = new Journal(dir, options.segmentBytes ?? DEFAULT_SEGMENT_BYTES, fsync, index, current, handle);
    if (!last) {
      await step(dir, dir, () => journal.syncDirectory()).catch(async (error: unknown) => {
        await handle.close();
        throw error;
      });
    }
    const report: JournalRecoveryReport = {
      segments: seqs.length,
      records,
      damaged,
      recordsSkipped: damaged.reduce((sum, d) => sum + d.records, 0),
      ...(tail ? { tornTail: { segment: tail.segment, offset: tail.start, bytes: tail.end - tail.start } } : {}),
    };
    const recovered = [...messages.values()].sort((a, b) => a.id - b.id);
    return { journal, recovered, nextId: maxId + 1, report };
  }

  /** Opens the last segment for appending, cutting off at `cutAt` a record torn by a crash mid-write. */
  private static async reopenLast(dir: string, segment: Segment, cutAt: number | undefined, fsync: boolean): Promise<{ current: Segment; handle: FileHandle }> {
    const handle = await step(dir, segment.path, () => open(segment.path, 'r+'));
    if (cutAt !== undefined) {
      try {
        await step(dir, segment.path, async () => {
          await handle.truncate(cutAt);
          if (fsync) await handle.sync();
        });
      } catch (error) {
        await handle.close();
        throw error;
      }
      segment.size = cutAt;
    }
    return { current: segment, handle };
  }

  private static async createFirst(dir: string, index: SegmentIndex): Promise<{ current: Segment; handle: FileHandle }> {
    const segment = newSegment(dir, 1);
    const handle = await step(dir, segment.path, () => open(segment.path, 'wx'));
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
      const segment = await this.append(group.map((write) => write.record));
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

  /** Writes and fsyncs `records` at the end of the current segment, first rolling to a new one if they would overflow it. */
  private async append(records: readonly Buffer[]): Promise<Segment> {
    const length = records.reduce((sum, record) => sum + record.length, 0);
    if (this.current.size > 0 && this.current.size + length > this.segmentBytes) await this.roll();
    let position = this.current.size;
    for (const record of records) {
      placeRecord(record, position);
      position += record.length;
    }
    await writeFully(this.handle, records.length === 1 ? records[0]! : Buffer.concat(records, length), this.current.size);
    this.current.size += length;
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
   * with their ids and delivery counts, the removes of it that older segments still need and the
   * delivery counts it holds for messages stored elsewhere; only then deletes its file. A crash
   * in between leaves two copies of a message; recovery keeps one.
   */
  private async copyForward(segment: Segment): Promise<void> {
    const adds = new Map<number, StoredMessage>();
    for (const { batch } of readSegment(await readFile(segment.path)).records) {
      for (const message of batch.adds ?? []) if (segment.live.has(message.id)) adds.set(message.id, message);
    }
    const withCount = (message: StoredMessage): StoredMessage => {
      const { deliveries: _stored, ...rest } = message;
      const deliveries = this.index.deliveriesOf(message.id);
      return deliveries > 0 ? { ...rest, deliveries } : rest;
    };
    const removes = [...segment.shadows.values()].flat().filter((id) => !this.index.isLive(id));
    const deliveryCounts = [...segment.counts].map((id) => ({ id, deliveries: this.index.deliveriesOf(id) }));
    const batch: JournalBatch = { adds: [...adds.values()].map(withCount), removes, deliveryCounts };
    const target = await this.append([encodeRecord(batch)]);
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

import { describe, expect, it } from '@jest/globals';
import { PassThrough, Writable } from 'node:stream';
import { FrameWriter } from '../../../lib/stomp/frame-writer.js';

/** Resolves after the current turn of the event loop (and its `setImmediate`s) has run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A stream that records each call its buffered writes were handed over in (`write` or `writev`),
 * and holds every call's callback until `release()`, like a socket whose kernel buffer is full.
 */
class HeldWritable extends Writable {
  readonly calls: string[][] = [];
  private held: ((error?: Error | null) => void)[] = [];

  constructor(highWaterMark = 16 * 1024) {
    super({ highWaterMark });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.calls.push([chunk.toString()]);
    this.held.push(callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.calls.push(chunks.map(({ chunk }) => chunk.toString()));
    this.held.push(callback);
  }

  release(): void {
    for (const callback of this.held.splice(0)) callback();
  }
}

describe('FrameWriter', () => {
  it('hands the frames of one turn to the stream in one writev, and counts the batches', async () => {
    const stream = new HeldWritable();
    const writer = new FrameWriter(stream);
    writer.write(Buffer.from('A'));
    writer.write(Buffer.from('B'));
    writer.write(Buffer.from('C'));
    expect(stream.calls).toEqual([]);
    expect(writer.writeBatches).toBe(0);
    await nextTurn();
    expect(stream.calls).toEqual([['A', 'B', 'C']]);
    expect(writer.writeBatches).toBe(1);
    stream.release();

    // Work scheduled from this turn (nextTick, promises) joins its batch.
    writer.write(Buffer.from('D'));
    process.nextTick(() => writer.write(Buffer.from('E')));
    await Promise.resolve().then(() => writer.write(Buffer.from('F')));
    await nextTurn();
    expect(stream.calls).toHaveLength(2);
    expect([...stream.calls[1]!].sort()).toEqual(['D', 'E', 'F']);
    expect(writer.writeBatches).toBe(2);
  });

  it('calls `written` once the stream has taken the bytes', async () => {
    const stream = new HeldWritable();
    const writer = new FrameWriter(stream);
    const outcomes: unknown[] = [];
    writer.write(Buffer.from('A'), (error) => outcomes.push(error ?? 'ok'));
    await nextTurn();
    expect(outcomes).toEqual([]);
    stream.release();
    await nextTurn();
    expect(outcomes).toEqual(['ok']);
  });

  it('reports each frame written to its activity, but not the heart-beat EOLs', async () => {
    const stream = new PassThrough();
    const writer = new FrameWriter(stream);
    let wrote = 0;
    writer.write(Buffer.from('before'));
    writer.activity = { wrote: () => wrote++ };
    writer.write(Buffer.from('X'));
    writer.writeHeartbeat();
    writer.write(Buffer.from('Y'));
    expect(wrote).toBe(2);
    await nextTurn();
    expect((stream.read() as Buffer).toString()).toBe('beforeX\nY');
  });

  it('writes a heart-beat EOL corked with the turn’s frames, and none once the stream is ended', async () => {
    const stream = new HeldWritable();
    const writer = new FrameWriter(stream);
    writer.writeHeartbeat();
    writer.write(Buffer.from('A'));
    await nextTurn();
    expect(stream.calls).toEqual([['\n', 'A']]);
    stream.release();
    stream.end();
    writer.writeHeartbeat();
    await nextTurn();
    expect(stream.calls).toHaveLength(1);
  });

  it('returns false past the high-water mark; whenDrained resolves on drain, one promise for all waiters', async () => {
    const stream = new HeldWritable(8);
    const writer = new FrameWriter(stream);
    expect(writer.write(Buffer.from('1234'))).toBe(true);
    expect(writer.write(Buffer.from('5678'))).toBe(false);
    expect(writer.bufferedBytes).toBe(8);
    const first = writer.whenDrained();
    expect(writer.whenDrained()).toBe(first);
    let drained = false;
    void first.then(() => (drained = true));
    await nextTurn();
    expect(drained).toBe(false);
    stream.release();
    await first;
    expect(writer.bufferedBytes).toBe(0);
    expect(stream.listenerCount('close')).toBe(0);
    // The next wait is a new one.
    writer.write(Buffer.from('12345678'));
    expect(writer.whenDrained()).not.toBe(first);
  });

  it('rejects whenDrained with closedError when the stream closes first, or is closed already', async () => {
    const stream = new HeldWritable(4);
    const refused = new Error('the connection is closed');
    const writer = new FrameWriter(stream, { closedError: () => refused });
    expect(writer.write(Buffer.from('12345'))).toBe(false);
    const waiting = writer.whenDrained();
    stream.destroy();
    await expect(waiting).rejects.toBe(refused);
    expect(stream.listenerCount('drain')).toBe(0);
    await expect(writer.whenDrained()).rejects.toBe(refused);
  });

  it('rejects with an error of its own when no closedError is given', async () => {
    const stream = new HeldWritable(4);
    const writer = new FrameWriter(stream);
    writer.write(Buffer.from('12345'));
    const waiting = writer.whenDrained();
    stream.destroy();
    await expect(waiting).rejects.toThrow(/closed before it drained/);
  });

  it('is backed up from backedUpAt bytes buffered, never below the high-water mark', () => {
    const roomy = new HeldWritable(16);
    const writer = new FrameWriter(roomy, { backedUpAt: 64 });
    writer.write(Buffer.alloc(40));
    expect(writer.write(Buffer.alloc(23))).toBe(false);
    expect(writer.backedUp).toBe(false);
    writer.write(Buffer.alloc(1));
    expect(writer.backedUp).toBe(true);

    const tight = new HeldWritable(32);
    const low = new FrameWriter(tight, { backedUpAt: 8 });
    low.write(Buffer.alloc(31));
    expect(low.backedUp).toBe(false);
    low.write(Buffer.alloc(1));
    expect(low.backedUp).toBe(true);
    expect(new FrameWriter(new HeldWritable(32)).backedUp).toBe(false);
  });
});

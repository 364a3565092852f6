import { describe, expect, it } from '@jest/globals';
import type { Duplex } from 'node:stream';
import { duplexPair } from '../../../../lib/broker/session/pipe.js';

/** Resolves with the first `bytes` bytes `stream` emits, however they are split into chunks. */
function read(stream: Duplex, bytes: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let length = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      length += chunk.length;
      if (length >= bytes) {
        stream.off('data', onData);
        resolve(Buffer.concat(chunks).toString('utf8'));
      }
    };
    stream.on('data', onData);
  });
}

const event = (stream: Duplex, name: 'close' | 'end' | 'finish') => new Promise<void>((resolve) => stream.once(name, () => resolve()));

describe('duplexPair', () => {
  it('the bytes written on one end are read on the other, in order', async () => {
    const [left, right] = duplexPair();
    const received = read(right, 9);
    left.write('one,');
    left.write(Buffer.from('two,'));
    left.write('3');
    expect(await received).toBe('one,two,3');
  });

  it('carries both directions at once', async () => {
    const [left, right] = duplexPair();
    const toRight = read(right, 5);
    const toLeft = read(left, 4);
    left.write('hello');
    right.write('back');
    expect(await toRight).toBe('hello');
    expect(await toLeft).toBe('back');
  });

  it('hands a write over later, never within write() itself', async () => {
    const [left, right] = duplexPair();
    // A first exchange sets the reading end flowing: from then on a push would be read at once.
    const first = read(right, 1);
    left.write('a');
    await first;
    const chunks: string[] = [];
    right.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    const received = read(right, 1);
    left.write('b');
    expect(chunks).toEqual([]);
    expect(await received).toBe('b');
    expect(chunks).toEqual(['b']);
  });

  it('calls back a write once the other end has its bytes', async () => {
    const [left, right] = duplexPair();
    const readInCallback = await new Promise<string | undefined>((resolve) => left.write('x', () => resolve((right.read() as Buffer | null)?.toString())));
    expect(readInCallback).toBe('x');
  });

  it('delivers the writes of a corked turn as one chunk', async () => {
    const [left, right] = duplexPair();
    const chunks: string[] = [];
    right.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
    left.cork();
    left.write('a');
    left.write('b');
    left.write('c');
    const written = new Promise<void>((resolve) => left.write('d', () => resolve()));
    left.uncork();
    await written;
    expect(chunks).toEqual(['abcd']);
  });

  it('ending one end ends the other after the bytes written before, and leaves the other direction open', async () => {
    const [left, right] = duplexPair();
    const seen: string[] = [];
    right.on('data', (chunk: Buffer) => seen.push(chunk.toString()));
    const ended = event(right, 'end');
    left.write('last');
    left.end();
    await ended;
    expect(seen).toEqual(['last']);
    const reply = read(left, 5);
    right.write('reply');
    expect(await reply).toBe('reply');
  });

  it.each([
    ['left', 0],
    ['right', 1],
  ] as const)('destroying the %s end destroys the other, which closes without an error', async (_name, index) => {
    const pair = duplexPair();
    const [destroyed, other] = [pair[index], pair[1 - index]!];
    const errors: Error[] = [];
    other.on('error', (error) => errors.push(error));
    const otherClosed = event(other, 'close');
    destroyed.destroy();
    await otherClosed;
    expect(other.destroyed).toBe(true);
    expect(errors).toEqual([]);
  });

  it('an error destroying one end is reported on that end only', async () => {
    const [left, right] = duplexPair();
    const leftError = new Promise<Error>((resolve) => left.once('error', resolve));
    const rightErrors: Error[] = [];
    right.on('error', (error) => rightErrors.push(error));
    const rightClosed = event(right, 'close');
    left.destroy(new Error('boom'));
    expect((await leftError).message).toBe('boom');
    await rightClosed;
    expect(rightErrors).toEqual([]);
  });
});

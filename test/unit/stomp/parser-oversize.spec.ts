import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { StompParseError } from '../../../lib/stomp/errors.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';
import { StompParser } from '../../../lib/stomp/parser.js';

const LIMIT = 64;
const small = (n: number) => `MESSAGE\nsubscription:s\nmessage-id:small-${n}\n\nbody ${n}\0`;
const declared = `MESSAGE\nsubscription:s\nmessage-id:declared\ncontent-length:200\n\n${'d'.repeat(200)}\0`;
const undeclared = `MESSAGE\nsubscription:s\nmessage-id:undeclared\n\n${'u'.repeat(300)}\0`;
const stream = Buffer.from(small(1) + declared + small(2) + '\n' + undeclared + small(3));

/** Parses `chunks` with an owner that takes oversize frames; what it was handed, in order. */
function parse(chunks: Buffer[]): { events: string[]; oversize: StompFrame[] } {
  const events: string[] = [];
  const oversize: StompFrame[] = [];
  const parser = new StompParser(
    {
      frame: (f) => events.push(`${f.headers['message-id']!}:${f.body.toString()}`),
      heartbeat: () => events.push('beat'),
      oversize: (f) => {
        events.push(`oversize:${f.headers['message-id']!}`);
        oversize.push(f);
        return true;
      },
    },
    { maxBodyBytes: LIMIT },
  );
  for (const chunk of chunks) parser.push(chunk);
  return { events, oversize };
}

function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  return chunks;
}

const expected = ['small-1:body 1', 'oversize:declared', 'small-2:body 2', 'beat', 'oversize:undeclared', 'small-3:body 3'];

describe('StompParser with an owner that takes oversize frames', () => {
  it('hands over an oversize frame by its headers, skips its body, and stays in step (with and without content-length)', () => {
    const { events, oversize } = parse([stream]);
    expect(events).toEqual(expected);
    expect(oversize.map((f) => f.body.length)).toEqual([0, 0]);
    expect(oversize[0]!.headers['content-length']).toBe('200');
    expect(oversize[1]!.headers['content-length']).toBeUndefined();
  });

  it('does the same whatever the chunks, down to one byte at a time', () => {
    expect(parse([...stream].map((b) => Buffer.from([b]))).events).toEqual(expected);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => {
        expect(parse(split(stream, cuts)).events).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps nothing of a skipped body: a declared body is never buffered, an undeclared one at most up to the limit', () => {
    const kept: Buffer[] = [];
    const parser = new StompParser({ frame: (f) => kept.push(f.body), heartbeat: () => {}, oversize: () => true }, { maxBodyBytes: LIMIT });
    parser.push(Buffer.from('MESSAGE\ncontent-length:1000000\n\n'));
    for (let i = 0; i < 1000; i++) parser.push(Buffer.alloc(1000, 1));
    parser.push(Buffer.from('\0' + small(9)));
    expect(kept.map((b) => b.toString())).toEqual(['body 9']);
  });

  it('still fails on a skipped body that does not end where its content-length says', () => {
    expect(() => parse([Buffer.from(`MESSAGE\ncontent-length:100\n\n${'x'.repeat(101)}\0`)])).toThrow(StompParseError);
  });

  it('fails with BODY_TOO_LARGE, as before, when the owner does not take the frame', () => {
    const refusing = new StompParser({ frame: () => {}, heartbeat: () => {}, oversize: () => false }, { maxBodyBytes: LIMIT });
    const error = (() => {
      try {
        refusing.push(Buffer.from(declared));
      } catch (e) {
        return e as StompParseError;
      }
      throw new Error('accepted');
    })();
    expect(error.code).toBe('BODY_TOO_LARGE');
  });
});

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { encodeFrame } from '../../../lib/stomp/encoder.js';
import { StompParseError } from '../../../lib/stomp/errors.js';
import { CLIENT_COMMANDS, SERVER_COMMANDS, isUnescapedCommand, type StompCommand, type StompFrame } from '../../../lib/stomp/frame.js';
import { StompParser } from '../../../lib/stomp/parser.js';

const commands = [...CLIENT_COMMANDS, ...SERVER_COMMANDS] as StompCommand[];
const escapedCommands = commands.filter((c) => !isUnescapedCommand(c));

/** Any header text, including the four characters that need escaping and non-ASCII. */
const headerText = fc.string({ unit: fc.oneof(fc.constantFrom('\\', '\n', '\r', ':', 'é', '☃'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 })), maxLength: 20 });
const headers = fc.dictionary(
  headerText.filter((k) => k !== '' && k !== 'content-length'),
  headerText,
  { maxKeys: 8 },
);
const frame = fc.record({
  command: fc.constantFrom(...escapedCommands),
  headers,
  body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

function encode(f: { command: StompCommand; headers: Record<string, string>; body: Buffer }): Buffer {
  return encodeFrame(f.command, { ...f.headers, 'content-length': '' }, f.body);
}

function decode(chunks: Buffer[]): StompFrame[] {
  const out: StompFrame[] = [];
  const parser = new StompParser({ frame: (f) => out.push(f), heartbeat: () => {} });
  for (const c of chunks) parser.push(c);
  return out;
}

/** Splits `bytes` at the given cut points. */
function chunk(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    out.push(bytes.subarray(start, p));
    start = p;
  }
  out.push(bytes.subarray(start));
  return out;
}

describe('codec properties', () => {
  it('decode(encode(frame)) is the frame, for arbitrary headers and binary bodies', () => {
    fc.assert(
      fc.property(frame, (f) => {
        const [decoded] = decode([encode(f)]);
        expect(decoded!.command).toBe(f.command);
        expect(decoded!.body.equals(f.body)).toBe(true);
        expect({ ...decoded!.headers }).toEqual({ ...f.headers, 'content-length': String(f.body.length) });
      }),
      { numRuns: 500 },
    );
  });

  it('any chunking of a valid stream, heart-beats included, decodes to the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 40 }),
        fc.array(fc.constantFrom('\n', '\r\n'), { maxLength: 3 }),
        (frames, cuts, beats) => {
          const stream = Buffer.concat(frames.flatMap((f) => [Buffer.from(beats.join('')), encode(f)]));
          const whole = decode([stream]);
          const split = decode(chunk(stream, cuts));
          expect(split).toHaveLength(frames.length);
          split.forEach((f, i) => {
            expect(f.command).toBe(whole[i]!.command);
            expect({ ...f.headers }).toEqual({ ...whole[i]!.headers });
            expect(f.body.equals(whole[i]!.body)).toBe(true);
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random bytes never make the parser throw anything but StompParseError, nor hang', () => {
    const limits = { maxHeaders: 20, maxHeaderLineBytes: 256, maxBodyBytes: 4096 };
    const noise = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }),
      // Noise made of protocol-looking pieces reaches deeper states than uniform bytes.
      fc
        .array(fc.constantFrom('SEND\n', 'MESSAGE\n', 'CONNECTED\n', 'a:b\n', '\\c', '\\x', 'content-length:5\n', 'content-length:x\n', '\n', '\r\n', '\0', ':', 'xyz'), {
          maxLength: 60,
        })
        .map((parts) => new Uint8Array(Buffer.from(parts.join('')))),
    );
    fc.assert(
      fc.property(noise, fc.array(fc.nat(), { maxLength: 10 }), (bytes, cuts) => {
        const parser = new StompParser({ frame: () => {}, heartbeat: () => {} }, limits);
        const started = process.hrtime.bigint();
        try {
          for (const c of chunk(Buffer.from(bytes), cuts)) parser.push(c);
        } catch (error) {
          expect(error).toBeInstanceOf(StompParseError);
        }
        expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
      }),
      { numRuns: 3000 },
    );
  });
});

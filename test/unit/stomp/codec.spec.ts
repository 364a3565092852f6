import { describe, expect, it } from '@jest/globals';
import { encodeFrame, escapeHeader } from '../../../lib/stomp/encoder.js';
import { StompEncodeError, StompParseError } from '../../../lib/stomp/errors.js';
import { CLIENT_COMMANDS, SERVER_COMMANDS, type StompCommand, type StompFrame, type StompHeaders } from '../../../lib/stomp/frame.js';
import { StompParser, unescapeHeader } from '../../../lib/stomp/parser.js';

function decodeAll(bytes: Buffer | Buffer[], limits = {}): { frames: StompFrame[]; heartbeats: number } {
  const frames: StompFrame[] = [];
  let heartbeats = 0;
  const parser = new StompParser({ frame: (f) => frames.push(f), heartbeat: () => heartbeats++ }, limits);
  for (const chunk of Array.isArray(bytes) ? bytes : [bytes]) parser.push(chunk);
  return { frames, heartbeats };
}

function parseError(bytes: Buffer, limits = {}): StompParseError {
  try {
    decodeAll(bytes, limits);
  } catch (error) {
    if (error instanceof StompParseError) return error;
    throw error;
  }
  throw new Error('the parser accepted the input');
}

const plain = (frame: StompFrame) => ({ command: frame.command, headers: { ...frame.headers }, body: frame.body.toString('utf8') });

describe('encodeFrame / StompParser', () => {
  it.each([...CLIENT_COMMANDS, ...SERVER_COMMANDS] as StompCommand[])('round-trips a %s frame', (command) => {
    const headers: StompHeaders = { destination: '/queue/a', 'x-custom': 'value' };
    const body = command === 'SEND' || command === 'MESSAGE' || command === 'ERROR' ? 'hello' : '';
    const bytes = encodeFrame(command, headers, body);
    expect(bytes.subarray(0, command.length + 1).toString()).toBe(command + '\n');
    expect(bytes[bytes.length - 1]).toBe(0);
    const { frames } = decodeAll(bytes);
    expect(frames.map(plain)).toEqual([{ command, headers, body }]);
  });

  it('writes the exact bytes STOMP 1.2 specifies', () => {
    const bytes = encodeFrame('SEND', { destination: '/queue/a', receipt: '7' }, 'hi');
    expect(bytes.toString('latin1')).toBe('SEND\ndestination:/queue/a\nreceipt:7\n\nhi\0');
  });

  it('escapes backslash, CR, LF and colon in header names and values of ordinary frames', () => {
    const bytes = encodeFrame('SEND', { 'a:b\\c': 'x\ny\rz:w\\' });
    expect(bytes.toString()).toBe('SEND\na\\cb\\\\c:x\\ny\\rz\\cw\\\\\n\n\0');
    expect(plain(decodeAll(bytes).frames[0]!).headers).toEqual({ 'a:b\\c': 'x\ny\rz:w\\' });
  });

  it('escapes MESSAGE, RECEIPT and ERROR headers too', () => {
    for (const command of ['MESSAGE', 'RECEIPT', 'ERROR'] as const) {
      expect(encodeFrame(command, { message: 'a:b' }).toString()).toContain('message:a\\cb\n');
    }
  });

  it('does not escape CONNECT and CONNECTED headers, and refuses values that would need it', () => {
    expect(encodeFrame('CONNECT', { passcode: 'a\\b' }).toString()).toContain('passcode:a\\b\n');
    expect(() => encodeFrame('CONNECT', { login: 'evil\n\nSEND' })).toThrow(StompEncodeError);
    expect(() => encodeFrame('STOMP', { 'a:b': 'c' })).toThrow(StompEncodeError);
    // A CONNECTED value with backslashes is taken literally when decoded.
    const { frames } = decodeAll(Buffer.from('CONNECTED\nversion:1.2\nserver:a\\cb\n\n\0'));
    expect(frames[0]!.headers['server']).toBe('a\\cb');
  });

  it('decodes escapes, including \\r, and refuses undefined escapes', () => {
    expect(unescapeHeader('a\\r\\n\\c\\\\b')).toBe('a\r\n:\\b');
    expect(parseError(Buffer.from('MESSAGE\nk:a\\tb\n\n\0')).code).toBe('INVALID_ESCAPE');
    expect(parseError(Buffer.from('MESSAGE\nk:ab\\\n\n\0')).code).toBe('INVALID_ESCAPE');
  });

  it('keeps the first of repeated headers', () => {
    const { frames } = decodeAll(Buffer.from('MESSAGE\nfoo:first\nfoo:second\n\n\0'));
    expect(frames[0]!.headers['foo']).toBe('first');
  });

  it('accepts CRLF line endings and an empty header value', () => {
    const { frames } = decodeAll(Buffer.from('MESSAGE\r\ndestination:/queue/a\r\nempty:\r\n\r\nbody\0'));
    expect(plain(frames[0]!)).toEqual({ command: 'MESSAGE', headers: { destination: '/queue/a', empty: '' }, body: 'body' });
  });

  it('carries a binary body with NUL bytes through content-length', () => {
    const body = Buffer.from([0, 1, 2, 0, 255, 0]);
    const bytes = encodeFrame('SEND', { destination: '/queue/b', 'content-length': '0' }, body);
    expect(bytes.toString('latin1')).toContain('content-length:6\n');
    const frame = decodeAll(bytes).frames[0]!;
    expect(frame.body.equals(body)).toBe(true);
    expect(frame.headers['content-length']).toBe('6');
  });

  it('refuses a body with a NUL byte and no content-length instead of cutting it', () => {
    expect(() => encodeFrame('SEND', { destination: '/queue/b' }, Buffer.from([1, 0, 2]))).toThrow(/content-length/);
  });

  it('refuses non-string header values and unknown commands', () => {
    expect(() => encodeFrame('SEND', { n: 5 as unknown as string })).toThrow(StompEncodeError);
    expect(() => encodeFrame('HELLO' as StompCommand, {})).toThrow(StompEncodeError);
  });

  it('reads UTF-8 headers and bodies', () => {
    const bytes = encodeFrame('SEND', { clé: 'välue ☃' }, 'naïve ✓');
    expect(plain(decodeAll(bytes).frames[0]!)).toEqual({ command: 'SEND', headers: { clé: 'välue ☃' }, body: 'naïve ✓' });
  });

  it('reports heart-beat EOLs between frames and ignores them as frames', () => {
    const frame = encodeFrame('RECEIPT', { 'receipt-id': '1' });
    const { frames, heartbeats } = decodeAll(Buffer.concat([Buffer.from('\n\r\n'), frame, Buffer.from('\n\n'), frame]));
    expect(frames).toHaveLength(2);
    expect(heartbeats).toBe(4);
  });

  it('decodes frames packed into one chunk and frames split byte by byte', () => {
    const stream = Buffer.concat([
      encodeFrame('MESSAGE', { a: '1' }, 'one'),
      encodeFrame('MESSAGE', { a: '2', 'content-length': '' }, Buffer.from([0, 0])),
      encodeFrame('RECEIPT', { 'receipt-id': 'x' }),
    ]);
    const whole = decodeAll(stream).frames.map(plain);
    const bytewise = decodeAll([...stream].map((b) => Buffer.from([b]))).frames.map(plain);
    expect(whole).toHaveLength(3);
    expect(bytewise).toEqual(whole);
  });

  it('escapeHeader leaves plain text untouched', () => {
    const text = 'plain-text_value 123';
    expect(escapeHeader(text)).toBe(text);
  });
});

describe('StompParser errors', () => {
  it('refuses an unknown command', () => {
    const error = parseError(Buffer.from('HELLO\n\n\0'));
    expect(error.code).toBe('UNKNOWN_COMMAND');
    expect(error.message).toContain("'HELLO'");
  });

  it('refuses a command line too long to be a command, without waiting for its end', () => {
    expect(parseError(Buffer.from('A'.repeat(100))).code).toBe('COMMAND_TOO_LONG');
  });

  it('refuses a header line without a colon', () => {
    expect(parseError(Buffer.from('MESSAGE\nnocolon\n\n\0')).code).toBe('MALFORMED_HEADER');
  });

  it('enforces the header count limit', () => {
    const headers = Array.from({ length: 6 }, (_, i) => `h${i}:v`).join('\n');
    expect(decodeAll(Buffer.from(`MESSAGE\n${headers}\n\n\0`), { maxHeaders: 6 }).frames).toHaveLength(1);
    const error = parseError(Buffer.from(`MESSAGE\n${headers}\n\n\0`), { maxHeaders: 5 });
    expect(error.code).toBe('TOO_MANY_HEADERS');
    expect(error.message).toContain('maxHeaders');
  });

  it('enforces the header line limit, also on a line still arriving', () => {
    expect(parseError(Buffer.from(`MESSAGE\nk:${'v'.repeat(100)}\n\n\0`), { maxHeaderLineBytes: 50 }).code).toBe('HEADER_TOO_LARGE');
    expect(parseError(Buffer.from(`MESSAGE\nk:${'v'.repeat(100)}`), { maxHeaderLineBytes: 50 }).code).toBe('HEADER_TOO_LARGE');
  });

  it('enforces the body limit with and without content-length', () => {
    const limits = { maxBodyBytes: 10 };
    expect(decodeAll(Buffer.from(`MESSAGE\n\n${'x'.repeat(10)}\0`), limits).frames[0]!.body.length).toBe(10);
    const declared = parseError(Buffer.from('MESSAGE\ncontent-length:11\n\n'), limits);
    expect(declared.code).toBe('BODY_TOO_LARGE');
    expect(declared.message).toContain('maxBodyBytes');
    expect(parseError(Buffer.from(`MESSAGE\n\n${'x'.repeat(11)}`), limits).code).toBe('BODY_TOO_LARGE');
  });

  it('refuses a content-length that is not a byte count', () => {
    expect(parseError(Buffer.from('MESSAGE\ncontent-length:-1\n\n\0')).code).toBe('INVALID_CONTENT_LENGTH');
    expect(parseError(Buffer.from('MESSAGE\ncontent-length:abc\n\n\0')).code).toBe('INVALID_CONTENT_LENGTH');
  });

  it('refuses a body longer than its content-length', () => {
    expect(parseError(Buffer.from('MESSAGE\ncontent-length:2\n\nabc\0')).code).toBe('MISSING_NUL');
  });

  it('stays failed after an error: every later push throws the same error', () => {
    const parser = new StompParser({ frame: () => {}, heartbeat: () => {} });
    expect(() => parser.push(Buffer.from('BAD\n'))).toThrow(StompParseError);
    let second: unknown;
    try {
      parser.push(Buffer.from('\n'));
    } catch (error) {
      second = error;
    }
    expect(second).toBeInstanceOf(StompParseError);
    expect((second as StompParseError).code).toBe('UNKNOWN_COMMAND');
  });
});

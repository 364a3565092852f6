import { describe, expect, it } from '@jest/globals';
import { encodeFrameFor, headerDecoder, negotiateVersion, SUPPORTED_VERSIONS, type StompVersion } from '../../../../lib/broker/session/stomp-versions.js';
import { encodeFrame } from '../../../../lib/stomp/encoder.js';
import { StompParseError } from '../../../../lib/stomp/errors.js';
import { thrown } from '../../../support/thrown.js';

/** A frame's bytes as text, the NUL shown as `\0`. */
const text = (frame: Buffer) => frame.toString('utf8');

describe('negotiateVersion', () => {
  it.each([
    [undefined, '1.0'],
    ['1.0', '1.0'],
    ['1.1', '1.1'],
    ['1.2', '1.2'],
    ['1.0,1.1,1.2', '1.2'],
    ['1.2,1.0', '1.2'],
    ['1.0,1.1', '1.1'],
    [' 1.1 , 1.0 ', '1.1'],
    ['1.1,2.0', '1.1'],
  ])('accept-version %j agrees %s, the highest in common', (acceptVersion, agreed) => {
    expect(negotiateVersion(acceptVersion)).toBe(agreed);
  });

  it.each([['2.0'], ['1.3,2.1'], [''], ['1.2.0'], ['v1.2']])('accept-version %j has no version in common', (acceptVersion) => {
    expect(negotiateVersion(acceptVersion)).toBeUndefined();
  });

  it('lists the versions spoken oldest first, as an ERROR names them', () => {
    expect(SUPPORTED_VERSIONS).toEqual(['1.0', '1.1', '1.2']);
  });
});

describe('headerDecoder', () => {
  it('1.2 decodes \\n, \\r, \\c and \\\\', () => {
    expect(headerDecoder('1.2')('a\\nb\\rc\\cd\\\\e', 'SEND')).toBe('a\nb\rc:d\\e');
  });

  it('1.2 refuses an undefined escape', () => {
    const error = thrown(() => headerDecoder('1.2')('a\\tb', 'SEND'));
    expect(error).toBeInstanceOf(StompParseError);
    expect((error as StompParseError).code).toBe('INVALID_ESCAPE');
  });

  it('1.1 decodes \\n, \\c and \\\\', () => {
    expect(headerDecoder('1.1')('a\\nb\\cc\\\\d', 'SEND')).toBe('a\nb:c\\d');
  });

  it('1.1 refuses \\r, an escape it does not define', () => {
    const error = thrown(() => headerDecoder('1.1')('line\\r', 'SUBSCRIBE'));
    expect(error).toBeInstanceOf(StompParseError);
    expect(error).toMatchObject({ code: 'INVALID_ESCAPE', message: "a header of SUBSCRIBE holds '\\r', an undefined escape in STOMP 1.1" });
  });

  it('1.1 reads an escaped backslash before an r as a backslash and an r, not as \\r', () => {
    expect(headerDecoder('1.1')('C:\\\\root', 'SEND')).toBe('C:\\root');
    // Left to right: `\\` then `\r`.
    expect(() => headerDecoder('1.1')('\\\\\\r', 'SEND')).toThrow(StompParseError);
  });

  it('1.1 refuses the other undefined escapes too', () => {
    expect(() => headerDecoder('1.1')('a\\tb', 'SEND')).toThrow(StompParseError);
  });

  it('1.0 has no escaping: a backslash is a backslash', () => {
    expect(headerDecoder('1.0')('a\\nb\\rc\\cd\\te', 'SEND')).toBe('a\\nb\\rc\\cd\\te');
  });
});

describe('encodeFrameFor', () => {
  const tricky = { key: 'a\r\nb:c\\d' };

  it('1.2 is the project encoder: \\r, \\n, : and \\ are all escaped', () => {
    const frame = encodeFrameFor('1.2', 'MESSAGE', tricky, 'body');
    expect(frame).toEqual(encodeFrame('MESSAGE', tricky, 'body'));
    expect(text(frame)).toBe('MESSAGE\nkey:a\\r\\nb\\cc\\\\d\n\nbody\0');
  });

  it('1.1 escapes \\n, : and \\ in names and values, and sends a CR as it is', () => {
    expect(text(encodeFrameFor('1.1', 'MESSAGE', { 'my:key': 'a\r\nb:c\\d' }, 'body'))).toBe('MESSAGE\nmy\\ckey:a\r\\nb\\cc\\\\d\n\nbody\0');
  });

  it('1.0 escapes nothing', () => {
    expect(text(encodeFrameFor('1.0', 'MESSAGE', { path: 'C:\\dir', time: '12:30' }, 'body'))).toBe('MESSAGE\npath:C:\\dir\ntime:12:30\n\nbody\0');
  });

  it('1.0 leaves out a header it cannot carry: a newline in it, a colon in its name, an empty name', () => {
    const headers = { 'bad:name': 'x', lf: 'a\nb', cr: 'a\rb', 'cr\rname': 'x', '': 'empty', ok: 'y' };
    expect(text(encodeFrameFor('1.0', 'MESSAGE', headers))).toBe('MESSAGE\nok:y\n\n\0');
  });

  it.each<StompVersion>(['1.0', '1.1'])('%s never escapes CONNECTED, leaving out a header with a newline', (version) => {
    const frame = encodeFrameFor(version, 'CONNECTED', { version, server: 'embedded:1.0', bad: 'a\nb' });
    expect(text(frame)).toBe(`CONNECTED\nversion:${version}\nserver:embedded:1.0\n\n\0`);
  });

  it.each<StompVersion>(['1.0', '1.1', '1.2'])('%s sets content-length to the real length of the body', (version) => {
    expect(text(encodeFrameFor(version, 'MESSAGE', { 'content-length': '999', k: 'v' }, 'héllo'))).toBe('MESSAGE\ncontent-length:6\nk:v\n\nhéllo\0');
  });

  it.each<StompVersion>(['1.0', '1.1'])('%s adds a content-length to a body holding a NUL, which would end the frame early', (version) => {
    const body = Buffer.from([1, 0, 2]);
    const frame = encodeFrameFor(version, 'MESSAGE', { k: 'v' }, body);
    expect(frame).toEqual(Buffer.concat([Buffer.from('MESSAGE\nk:v\ncontent-length:3\n\n'), body, Buffer.from([0])]));
  });

  it.each<StompVersion>(['1.0', '1.1'])('%s adds no content-length to a body without a NUL', (version) => {
    expect(text(encodeFrameFor(version, 'MESSAGE', { k: 'v' }, Buffer.from('plain')))).toBe('MESSAGE\nk:v\n\nplain\0');
  });

  it.each<StompVersion>(['1.0', '1.1', '1.2'])('%s: an empty body by default, the same bytes from a string or a Buffer', (version) => {
    expect(text(encodeFrameFor(version, 'RECEIPT', { 'receipt-id': '7' }))).toBe('RECEIPT\nreceipt-id:7\n\n\0');
    expect(encodeFrameFor(version, 'MESSAGE', { k: 'v' }, 'héllo')).toEqual(encodeFrameFor(version, 'MESSAGE', { k: 'v' }, Buffer.from('héllo')));
  });
});

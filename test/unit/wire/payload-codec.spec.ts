import { describe, expect, it } from '@jest/globals';
import { decodePayload, encodePayload, PayloadDecodeError } from '../../../lib/wire/payload-codec.js';
import type { StompHeaders } from '../../../lib/stomp/frame.js';

const message = (headers: StompHeaders, body: string | Buffer) => ({
  command: 'MESSAGE' as const,
  headers: { 'message-id': 'ID:1', destination: '/queue/q', ...headers },
  body: typeof body === 'string' ? Buffer.from(body) : body,
});

describe('payload codec', () => {
  it('encodes Buffers as bytes, strings as text, the rest as JSON', () => {
    expect(encodePayload(Buffer.from([0, 255]))).toEqual({ body: Buffer.from([0, 255]), headers: { 'content-type': 'application/octet-stream', 'content-length': '' } });
    expect(encodePayload(new Uint8Array([1, 2])).body).toEqual(Buffer.from([1, 2]));
    expect(encodePayload('hi')).toEqual({ body: 'hi', headers: { 'content-type': 'text/plain;charset=utf-8' } });
    expect(encodePayload({ a: 1 })).toEqual({ body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(encodePayload(undefined)).toEqual({ body: '', headers: { 'content-type': 'application/json' } });
    expect(encodePayload(null).body).toBe('null');
    expect(() => encodePayload(() => 1)).toThrow(/cannot be sent/);
  });

  it('decodes by content type, and a JMS body without one as JSON if it is JSON', () => {
    expect(decodePayload(message({ 'content-type': 'application/json' }, '{"a":1}'))).toEqual({ a: 1 });
    expect(decodePayload(message({ 'content-type': 'application/vnd.x+json; charset=utf-8' }, '[1]'))).toEqual([1]);
    expect(decodePayload(message({ 'content-type': 'application/json' }, ''))).toBeUndefined();
    expect(decodePayload(message({ 'content-type': 'text/plain;charset=utf-8' }, '{"a":1}'))).toBe('{"a":1}');
    expect(decodePayload(message({ 'content-type': 'application/octet-stream', 'content-length': '2' }, Buffer.from([0, 255])))).toEqual(Buffer.from([0, 255]));
    expect(decodePayload(message({}, '{"a":1}'))).toEqual({ a: 1 });
    expect(decodePayload(message({}, 'not json'))).toBe('not json');
    expect(decodePayload(message({}, '42'))).toBe(42);
    expect(decodePayload(message({ 'content-length': '3' }, 'abc'))).toEqual(Buffer.from('abc'));
    expect(decodePayload(message({ 'content-type': 'image/png' }, 'png'))).toEqual(Buffer.from('png'));
  });

  it('refuses a JSON content type with a body that is not JSON, naming the message', () => {
    const decode = () => decodePayload(message({ 'content-type': 'application/json' }, '{"broken": '));
    expect(decode).toThrow(PayloadDecodeError);
    expect(decode).toThrow('message ID:1 on /queue/q has content-type application/json but its body is not valid JSON');
  });
});

import { describe, expect, it } from '@jest/globals';
import { ARTEMIS_DUPLICATE_ID_HEADER, MESSAGE_ID_HEADER, MessageIds } from '../../../lib/wire/headers.js';

describe('MessageIds', () => {
  it('gives each message a new id, a prefix of its producer and a counter', () => {
    const ids = new MessageIds(false);
    const headers = [{}, {}, {}] as Record<string, string>[];
    const stamped = headers.map((h) => ids.stamp(h));
    expect(stamped.map((id, i) => [id, headers[i]![MESSAGE_ID_HEADER]])).toEqual(stamped.map((id) => [id, id]));
    const [prefix] = stamped[0]!.split('.');
    expect(prefix).toMatch(/^[A-Za-z0-9_-]{16}$/); // 96 random bits, nothing STOMP escapes
    expect(stamped).toEqual([`${prefix}.1`, `${prefix}.2`, `${prefix}.3`]);
  });

  it('two producers never give the same id', () => {
    expect(new MessageIds(false).stamp({})).not.toBe(new MessageIds(false).stamp({}));
  });

  it('keeps the id a message has already (a re-send), without using up a number', () => {
    const ids = new MessageIds(false);
    const headers: Record<string, string> = {};
    const first = ids.stamp(headers);
    expect(ids.stamp(headers)).toBe(first);
    expect(ids.stamp({ [MESSAGE_ID_HEADER]: 'given-by-caller' })).toBe('given-by-caller');
    expect(ids.stamp({})).toBe(first.replace(/\.1$/, '.2'));
  });

  it("adds Artemis' duplicate-detection header, equal to the id, only when asked to", () => {
    const plain: Record<string, string> = {};
    new MessageIds(false).stamp(plain);
    expect(plain).not.toHaveProperty(ARTEMIS_DUPLICATE_ID_HEADER);
    const detected: Record<string, string> = { [MESSAGE_ID_HEADER]: 'kept' };
    new MessageIds(true).stamp(detected);
    expect(detected).toEqual({ [MESSAGE_ID_HEADER]: 'kept', _AMQ_DUPL_ID: 'kept' });
  });

  it('names its headers as the brokers and consumers expect', () => {
    expect([MESSAGE_ID_HEADER, ARTEMIS_DUPLICATE_ID_HEADER]).toEqual(['nestjsMessageId', '_AMQ_DUPL_ID']);
  });
});

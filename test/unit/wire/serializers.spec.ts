import { describe, expect, it } from '@jest/globals';
import { bodyAsIsDeserializer, bodyOnlySerializer } from '../../../lib/wire/serializers.js';

describe('bodyOnlySerializer', () => {
  it('sends the data alone: no pattern, no envelope', () => {
    const data = { orderId: 7, items: ['a'] };
    expect(bodyOnlySerializer.serialize({ pattern: 'orders.placed', data })).toBe(data);
  });

  it.each([[undefined], [null], ['text'], [0], [Buffer.from('raw')]])('sends %p as it is', (data) => {
    expect(bodyOnlySerializer.serialize({ pattern: 'p', data })).toBe(data);
  });
});

describe('bodyAsIsDeserializer', () => {
  it.each([[{ orderId: 7 }], ['text'], [Buffer.from('raw')], [undefined]])('hands %p over as it is, whatever the channel and headers', (body) => {
    expect(bodyAsIsDeserializer.deserialize(body, { channel: 'orders.placed', headers: { 'content-type': 'application/json' } })).toBe(body);
  });
});

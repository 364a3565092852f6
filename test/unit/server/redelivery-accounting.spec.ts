import { describe, expect, it } from '@jest/globals';
import { RedeliveryAccounting } from '../../../lib/server/redelivery-accounting.js';
import type { StompFrame } from '../../../lib/stomp/frame.js';

const delivery = (id: string, redelivered = false, persistent = true): StompFrame => ({
  command: 'MESSAGE',
  headers: { 'message-id': id, ...(redelivered ? { redelivered: 'true' } : {}), persistent: String(persistent) },
  body: Buffer.alloc(0),
});

describe('RedeliveryAccounting', () => {
  it('without brokerMaxRedeliveries it counts nothing and says what the broker may do', () => {
    const accounting = new RedeliveryAccounting(undefined, 10);
    const message = delivery('ID:1');
    expect(accounting.count(message)).toBeUndefined();
    expect(accounting.rejection(message, undefined)).toBe('rejected: the broker redelivers it, or past its maximumRedeliveries moves it to its DLQ');
  });

  it('counts the deliveries it sees from the first, and names the last rejection', () => {
    const accounting = new RedeliveryAccounting(2, 10);
    expect(accounting.count(delivery('ID:1'))).toBe(1);
    expect(accounting.rejection(delivery('ID:1'), 1)).toBe('rejected: the broker redelivers it (at most 2 more times), then moves it to its DLQ');
    expect(accounting.count(delivery('ID:1', true))).toBe(2);
    expect(accounting.rejection(delivery('ID:1'), 2)).toBe('rejected: the broker redelivers it (at most 1 more time), then moves it to its DLQ');
    expect(accounting.count(delivery('ID:1', true))).toBe(3);
    expect(accounting.rejection(delivery('ID:1'), 3)).toBe('rejected for the last time (delivery 3, brokerMaxRedeliveries 2): the broker moves it to its DLQ');
  });

  it('a message first seen redelivered was delivered elsewhere before: its count stays unknown (never an early "last time")', () => {
    const accounting = new RedeliveryAccounting(1, 10);
    expect(accounting.count(delivery('ID:9', true))).toBeUndefined();
    expect(accounting.count(delivery('ID:9', true))).toBeUndefined();
  });

  it('forgets the oldest messages beyond its memory', () => {
    const accounting = new RedeliveryAccounting(5, 2);
    accounting.count(delivery('ID:1'));
    accounting.count(delivery('ID:2'));
    accounting.count(delivery('ID:3'));
    // ID:1 was forgotten: its next (redelivered) delivery is one of unknown number.
    expect(accounting.count(delivery('ID:1', true))).toBeUndefined();
    expect(accounting.count(delivery('ID:3', true))).toBe(2);
  });

  it('a poison message’s one line says its redeliveries will be rejected quietly; a non-persistent one may be dropped', () => {
    const accounting = new RedeliveryAccounting(3, 10);
    expect(accounting.poisonRejection(delivery('ID:1'), 1)).toBe('rejected, and its redeliveries (at most 3) will be too, quietly (debug), until the broker moves it to its DLQ');
    expect(accounting.poisonRejection(delivery('ID:2', false, false), undefined)).toMatch(/a non-persistent message only with processNonPersistent; else it is dropped/);
    expect(accounting.poisonRejection(delivery('ID:1'), 4)).toMatch(/^rejected for the last time/);
  });
});

import { describe, expect, it } from '@jest/globals';
import { resolveSendMode, SendMode, type SendModeInputs } from '../../../lib/producer/send-mode.js';

const mode = (inputs: SendModeInputs) => resolveSendMode(inputs);

describe('resolveSendMode', () => {
  it('defaults as the brokers do: durable sends block, non-durable ones do not', () => {
    expect(mode({})).toEqual({ mode: SendMode.Blocking, durable: true });
    expect(mode({ client: { durable: false } })).toEqual({ mode: SendMode.Async, durable: false });
  });

  it.each([
    ['jms.useAsyncSend', { useAsyncSend: true }],
    ['nms.AsyncSend (same setting)', { useAsyncSend: true }],
    ['blockOnDurableSend=false', { blockOnDurableSend: false }],
  ])('%s makes durable sends async', (_, uri) => {
    expect(mode({ uri })).toEqual({ mode: SendMode.Async, durable: true });
  });

  it.each([
    ['jms.alwaysSyncSend', { alwaysSyncSend: true }],
    ['blockOnNonDurableSend=true', { blockOnNonDurableSend: true }],
    ['jms.sendTimeout > 0', { sendTimeout: 500 }],
  ])('%s makes non-durable sends block', (_, uri) => {
    expect(mode({ uri, client: { durable: false } })).toEqual({ mode: SendMode.Blocking, durable: false });
  });

  it('alwaysSyncSend makes durable sends block even with useAsyncSend in the same layer', () => {
    expect(mode({ uri: { alwaysSyncSend: true, useAsyncSend: true } }).mode).toBe(SendMode.Blocking);
  });

  it('blockOnDurableSend beats useAsyncSend within one layer', () => {
    expect(mode({ uri: { useAsyncSend: true, blockOnDurableSend: true } }).mode).toBe(SendMode.Blocking);
  });

  it('acknowledges async sends later when a confirmation window is set', () => {
    expect(mode({ uri: { useAsyncSend: true, confirmationWindowSize: 1024 } }).mode).toBe(SendMode.AsyncAcknowledged);
    expect(mode({ client: { durable: false, confirmationWindowSize: 1024 } }).mode).toBe(SendMode.AsyncAcknowledged);
    expect(mode({ uri: { useAsyncSend: true, confirmationWindowSize: -1 } }).mode).toBe(SendMode.Async);
    expect(mode({ uri: { confirmationWindowSize: 1024 } }).mode).toBe(SendMode.Blocking);
  });

  it('client options beat the URI', () => {
    expect(mode({ uri: { useAsyncSend: true }, client: { useAsyncSend: false } }).mode).toBe(SendMode.Blocking);
    expect(mode({ uri: { blockOnDurableSend: false }, client: { useAsyncSend: false } }).mode).toBe(SendMode.Blocking);
    expect(mode({ uri: { useAsyncSend: false }, client: { blockOnDurableSend: false } }).mode).toBe(SendMode.Async);
    expect(mode({ uri: { useAsyncSend: true, confirmationWindowSize: 10 }, client: { confirmationWindowSize: -1 } }).mode).toBe(SendMode.Async);
  });

  it('a layer that says nothing about this durability defers to the next', () => {
    // blockOnNonDurableSend says nothing about durable sends.
    expect(mode({ client: { blockOnNonDurableSend: true }, uri: { useAsyncSend: true } }).mode).toBe(SendMode.Async);
  });

  it('the decorator beats client options and the URI', () => {
    expect(mode({ decorator: { durable: true, block: false }, uri: { alwaysSyncSend: true } }).mode).toBe(SendMode.Async);
    expect(mode({ decorator: { durable: false, block: true } })).toEqual({ mode: SendMode.Blocking, durable: false });
    expect(mode({ decorator: { durable: false }, client: { durable: true } })).toEqual({ mode: SendMode.Async, durable: false });
  });

  it('the record builder beats the decorator', () => {
    expect(mode({ record: { durable: true }, decorator: { durable: false } })).toEqual({ mode: SendMode.Blocking, durable: true });
    expect(mode({ record: { block: true }, decorator: { block: false } }).mode).toBe(SendMode.Blocking);
  });

  it('inside a transaction nothing blocks: every send is transacted', () => {
    expect(mode({ inTransaction: true, uri: { alwaysSyncSend: true } })).toEqual({ mode: SendMode.Transacted, durable: true });
    expect(mode({ inTransaction: true, decorator: { durable: false, block: true } })).toEqual({ mode: SendMode.Transacted, durable: false });
  });
});

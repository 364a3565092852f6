import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { SendOutcome } from '../../../lib/producer/acknowledgements.js';
import { AcknowledgedSender, isConnectionLoss, windowBytes, type ConfirmationStrategy } from '../../../lib/producer/acknowledged-sender.js';
import { ConfirmationWindow } from '../../../lib/producer/confirmation-window.js';
import { MessageTooLargeForWindowError, SendInDoubtError } from '../../../lib/producer/errors.js';
import type { OutgoingMessage } from '../../../lib/producer/outgoing-message.js';
import { StompBrokerError, StompConnectionClosedError, StompFrameTooLargeError, StompTimeoutError } from '../../../lib/stomp/errors.js';
import { MESSAGE_ID_HEADER, MessageIds } from '../../../lib/wire/headers.js';
import { BrokerDialect } from '../../../lib/wire/broker-dialect.js';
import { FakeStompConnection, type WrittenFrame } from '../fakes/fake-stomp-connection.js';

const CALL_TIMEOUT = 3000;

interface SenderSettings {
  readonly capacity?: number;
  readonly strategy?: ConfirmationStrategy;
  readonly batchSize?: number;
  readonly resendOnReconnect?: boolean;
  readonly duplicateDetection?: boolean;
}

function senderOf({ capacity = 1 << 20, strategy = 'transaction', batchSize = 100, resendOnReconnect = false, duplicateDetection = false }: SenderSettings = {}) {
  const outcomes: SendOutcome[] = [];
  const window = new ConfirmationWindow(capacity, (outcome) => outcomes.push(outcome));
  const sender = new AcknowledgedSender(window, strategy, batchSize, CALL_TIMEOUT, resendOnReconnect, new MessageIds(duplicateDetection));
  /** What was reported, as `body:status` (the body is the message id's stand-in: each test sends distinct bodies). */
  const reported = () => outcomes.map((o) => `${bodies.get(o.messageId)}:${o.status}`);
  const bodies = new Map<string, string>();
  const send = (fake: FakeStompConnection, body: string) => {
    const message = outgoing(body);
    const sent = sender.send(fake.connection, message, performance.now());
    bodies.set(message.headers[MESSAGE_ID_HEADER]!, body);
    return sent;
  };
  return { sender, window, outcomes, reported, send };
}

function outgoing(body: string): OutgoingMessage {
  return { destination: '/queue/q', headers: { destination: '/queue/q', persistent: 'false' }, body, durable: false };
}

/** One turn of the event loop: the sender commits its open group then. */
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** The SEND frames' bodies and transaction headers. */
const sends = (fake: FakeStompConnection) => fake.framesOf('SEND').map((f) => [f.body, f.headers['transaction']]);

/** Every fake connection of the test, so that what still waits for a receipt is ended with it. */
const fakes: FakeStompConnection[] = [];
function connection(broker?: string): FakeStompConnection {
  const fake = new FakeStompConnection(broker);
  fakes.push(fake);
  return fake;
}

afterEach(async () => {
  jest.useRealTimers();
  await turn();
  for (const fake of fakes.splice(0)) if (!fake.isClosed) fake.lose();
});

describe('AcknowledgedSender: the transaction strategy', () => {
  it('groups the sends of one turn in one transaction: BEGIN, SENDs without receipts, then one receipted COMMIT', async () => {
    const { send } = senderOf();
    const fake = connection();
    await Promise.all(['a', 'b', 'c'].map((body) => send(fake, body)));
    expect(fake.commands).toEqual(['BEGIN', 'SEND', 'SEND', 'SEND']);
    const tx = fake.frames[0]!.headers['transaction']!;
    expect(tx).toMatch(/^ack-/);
    expect(sends(fake)).toEqual([
      ['a', tx],
      ['b', tx],
      ['c', tx],
    ]);
    expect(fake.framesOf('SEND').every((f) => f.headers['receipt'] === undefined)).toBe(true);
    await turn();
    expect(fake.commands).toEqual(['BEGIN', 'SEND', 'SEND', 'SEND', 'COMMIT']);
    expect(fake.framesOf('COMMIT')[0]!.headers).toEqual({ transaction: tx, receipt: '1' });
  });

  it('confirms a group only when its COMMIT is answered, in send order', async () => {
    const { send, reported, window } = senderOf();
    const fake = connection();
    await Promise.all(['a', 'b'].map((body) => send(fake, body)));
    await turn();
    expect(reported()).toEqual([]);
    expect(window.outstandingCount).toBe(2);
    fake.receipt();
    await turn();
    expect(reported()).toEqual(['a:confirmed', 'b:confirmed']);
    expect(window.outstandingBytes).toBe(0);
  });

  it('stamps each send with its own message id, reported with its outcome', async () => {
    const { send, outcomes } = senderOf();
    const fake = connection();
    await send(fake, 'a');
    await send(fake, 'b');
    const ids = fake.framesOf('SEND').map((f) => f.headers[MESSAGE_ID_HEADER]);
    expect(new Set(ids).size).toBe(2);
    await turn();
    fake.receipt();
    await turn();
    expect(outcomes.map((o) => o.messageId)).toEqual(ids);
  });

  it('commits after batchSize sends, and starts the next group in a new transaction', async () => {
    const { send } = senderOf({ batchSize: 2 });
    const fake = connection();
    for (const body of ['a', 'b', 'c']) await send(fake, body);
    expect(fake.commands).toEqual(['BEGIN', 'SEND', 'SEND', 'COMMIT', 'BEGIN', 'SEND']);
    const [first, second] = fake.framesOf('BEGIN').map((f) => f.headers['transaction']);
    expect(first).not.toBe(second);
    expect(sends(fake)).toEqual([
      ['a', first],
      ['b', first],
      ['c', second],
    ]);
    expect(fake.framesOf('COMMIT')[0]!.headers['transaction']).toBe(first);
    await turn();
    expect(fake.framesOf('COMMIT').map((f) => f.headers['transaction'])).toEqual([first, second]);
  });

  it('reports groups in send order, whichever COMMIT is answered first', async () => {
    const { send, reported } = senderOf({ batchSize: 1 });
    const fake = connection();
    for (const body of ['a', 'b']) await send(fake, body);
    fake.receipt('2');
    await turn();
    expect(reported()).toEqual([]);
    fake.receipt('1');
    await turn();
    expect(reported()).toEqual(['a:confirmed', 'b:confirmed']);
  });

  it('closeOpenBatch() commits the open group at once', async () => {
    const { sender, send } = senderOf();
    const fake = connection();
    await send(fake, 'a');
    sender.closeOpenBatch();
    expect(fake.commands).toEqual(['BEGIN', 'SEND', 'COMMIT']);
    await turn();
    expect(fake.framesOf('COMMIT')).toHaveLength(1);
  });

  it('a COMMIT the broker refuses fails every send of its group with the broker’s error', async () => {
    const { send, outcomes } = senderOf();
    const fake = connection();
    await Promise.all(['a', 'b'].map((body) => send(fake, body)));
    await turn();
    const refusal = fake.refuse('quota exceeded');
    await turn();
    expect(outcomes.map((o) => [o.status, o.status === 'failed' ? o.error : undefined])).toEqual([
      ['failed', refusal],
      ['failed', refusal],
    ]);
  });

  it('a COMMIT unanswered within callTimeout fails its sends as in doubt (a StompTimeoutError)', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
    const { send, outcomes } = senderOf();
    const fake = connection();
    await send(fake, 'a');
    await turn();
    jest.advanceTimersByTime(CALL_TIMEOUT - 1);
    await turn();
    expect(outcomes).toEqual([]);
    jest.advanceTimersByTime(1);
    await turn();
    expect(outcomes.map((o) => o.status)).toEqual(['failed']);
    expect(outcomes[0]!.status === 'failed' && outcomes[0]!.error).toBeInstanceOf(StompTimeoutError);
  });

  it('a send the connection refuses to write fails alone; the rest of its group is confirmed', async () => {
    const { send, reported, outcomes } = senderOf();
    const fake = connection();
    const tooLarge = new StompFrameTooLargeError('frame too large');
    fake.refuseWrite = (frame: WrittenFrame) => (frame.body === 'huge' ? tooLarge : undefined);
    await send(fake, 'a');
    await expect(send(fake, 'huge')).rejects.toBe(tooLarge);
    await send(fake, 'c');
    await turn();
    fake.receipt();
    await turn();
    expect(reported()).toEqual(['a:confirmed', 'huge:failed', 'c:confirmed']);
    expect(outcomes[1]!.status === 'failed' && outcomes[1]!.error).toBe(tooLarge);
  });
});

describe('AcknowledgedSender: the receipt strategy', () => {
  it('gives every SEND its own receipt, no transaction, and reports in send order whatever order receipts come in', async () => {
    const { send, reported } = senderOf({ strategy: 'receipt' });
    const fake = connection();
    for (const body of ['a', 'b', 'c']) await send(fake, body);
    expect(fake.commands).toEqual(['SEND', 'SEND', 'SEND']);
    expect(fake.framesOf('SEND').map((f) => [f.headers['receipt'], f.headers['transaction']])).toEqual([
      ['1', undefined],
      ['2', undefined],
      ['3', undefined],
    ]);
    fake.receipt('3');
    await turn();
    expect(reported()).toEqual([]);
    fake.receipt('1');
    await turn();
    expect(reported()).toEqual(['a:confirmed']);
    fake.refuse('no', '2');
    await turn();
    expect(reported()).toEqual(['a:confirmed', 'b:failed', 'c:confirmed']);
  });
});

describe('AcknowledgedSender: on Artemis', () => {
  it('the transaction strategy gives every SEND its own receipt: a COMMIT’s receipt proves nothing there', async () => {
    const { send, reported } = senderOf({ strategy: 'transaction' });
    const artemis = connection();
    artemis.routing = BrokerDialect.of('ActiveMQ-Artemis/2.40.0 ActiveMQ Artemis Messaging Engine');
    await Promise.all(['a', 'b'].map((body) => send(artemis, body)));
    await turn();
    expect(artemis.commands).toEqual(['SEND', 'SEND']);
    expect(artemis.framesOf('SEND').map((f) => [f.headers['transaction'], f.headers['receipt'] !== undefined])).toEqual([
      [undefined, true],
      [undefined, true],
    ]);
    artemis.receipt();
    artemis.receipt();
    await turn();
    expect(reported()).toEqual(['a:confirmed', 'b:confirmed']);
  });
});

describe('AcknowledgedSender: the receipt strategy after a reconnection', () => {
  it('a send written on a dead connection after resend() ran is written on the new one, not left unconfirmed', async () => {
    const { sender, send, reported, window } = senderOf({ strategy: 'receipt', resendOnReconnect: true });
    const dead = connection('dead:1');
    dead.lose();
    const live = connection('live:2');
    await sender.resend(live.connection);
    await send(dead, 'late');
    await turn();
    expect(live.framesOf('SEND').map((f) => [f.body, f.headers['receipt'] !== undefined])).toEqual([['late', true]]);
    expect(window.outstandingCount).toBe(1);
    live.receipt();
    await turn();
    expect(reported()).toEqual(['late:confirmed']);
    expect(window.outstandingCount).toBe(0);
  });
});

describe('AcknowledgedSender: the window', () => {
  it('a send waits for room, and is written only once an earlier one is confirmed', async () => {
    const one = windowBytes({ ...outgoing('x'.repeat(1000)), headers: { ...outgoing('').headers, [MESSAGE_ID_HEADER]: `${'0'.repeat(36)}:1` } });
    const { send, window, reported } = senderOf({ capacity: one + 100 });
    const fake = connection();
    await send(fake, 'x'.repeat(1000));
    let secondWritten = false;
    const second = send(fake, 'y'.repeat(1000)).then(() => (secondWritten = true));
    await turn();
    expect(fake.commands).toEqual(['BEGIN', 'SEND', 'COMMIT']);
    expect(secondWritten).toBe(false);
    expect(window.outstandingBytes).toBeLessThanOrEqual(one + 100);
    fake.receipt();
    await second;
    expect(fake.commands).toEqual(['BEGIN', 'SEND', 'COMMIT', 'BEGIN', 'SEND']);
    expect(reported()).toEqual([`${'x'.repeat(1000)}:confirmed`]);
  });

  it('a message larger than the whole window is refused, and nothing is written', async () => {
    const { send } = senderOf({ capacity: 100 });
    const fake = connection();
    await expect(send(fake, 'x'.repeat(200))).rejects.toBeInstanceOf(MessageTooLargeForWindowError);
    expect(fake.frames).toEqual([]);
  });

  it('failAll() fails every unconfirmed send with the error; a late confirmation changes nothing', async () => {
    const { sender, send, outcomes } = senderOf();
    const fake = connection();
    await Promise.all(['a', 'b'].map((body) => send(fake, body)));
    await turn();
    const gone = new Error('gone for good');
    sender.failAll(gone);
    expect(outcomes.map((o) => o.status === 'failed' && o.error)).toEqual([gone, gone]);
    fake.receipt();
    await turn();
    expect(outcomes).toHaveLength(2);
  });
});

describe('AcknowledgedSender: lost connections', () => {
  it('without reconnection, a send whose connection is lost before its confirmation fails with the loss', async () => {
    const { send, outcomes } = senderOf({ resendOnReconnect: false });
    const fake = connection();
    await send(fake, 'a');
    await turn();
    const lost = fake.lose();
    await turn();
    expect(outcomes.map((o) => o.status === 'failed' && o.error)).toEqual([lost]);
  });

  it('with reconnection, it is kept and written again on the next connection, in order, with the same id, in a new transaction', async () => {
    const { sender, send, reported, outcomes } = senderOf({ resendOnReconnect: true });
    const first = connection('first:1');
    await Promise.all(['a', 'b'].map((body) => send(first, body)));
    await turn();
    first.lose();
    await turn();
    expect(outcomes).toEqual([]);
    const second = connection('second:2');
    expect(await sender.resend(second.connection)).toBe(2);
    expect(second.commands).toEqual(['BEGIN', 'SEND', 'SEND', 'COMMIT']);
    const ids = (fake: FakeStompConnection) => fake.framesOf('SEND').map((f) => f.headers[MESSAGE_ID_HEADER]);
    expect(ids(second)).toEqual(ids(first));
    const tx = second.frames[0]!.headers['transaction'];
    expect(tx).not.toBe(first.frames[0]!.headers['transaction']);
    expect(sends(second)).toEqual([
      ['a', tx],
      ['b', tx],
    ]);
    second.receipt();
    await turn();
    expect(reported()).toEqual(['a:confirmed', 'b:confirmed']);
  });

  it('with duplicateDetection, each re-send goes alone with its own receipt: a duplicate would fail a whole transaction on Artemis', async () => {
    const { sender, send, reported } = senderOf({ resendOnReconnect: true, duplicateDetection: true });
    const first = connection('first:1');
    await Promise.all(['a', 'b'].map((body) => send(first, body)));
    await turn();
    expect(first.commands).toEqual(['BEGIN', 'SEND', 'SEND', 'COMMIT']);
    first.lose();
    await turn();
    const second = connection('second:2');
    expect(await sender.resend(second.connection)).toBe(2);
    expect(second.commands).toEqual(['SEND', 'SEND']);
    const dupIds = (fake: FakeStompConnection) => fake.framesOf('SEND').map((f) => f.headers['_AMQ_DUPL_ID']);
    expect(dupIds(first)).toEqual([expect.any(String), expect.any(String)]);
    expect(dupIds(second)).toEqual(dupIds(first));
    expect(second.framesOf('SEND').map((f) => [f.headers['transaction'], f.headers['receipt'] !== undefined])).toEqual([
      [undefined, true],
      [undefined, true],
    ]);
    second.receipt();
    second.receipt();
    await turn();
    expect(reported()).toEqual(['a:confirmed', 'b:confirmed']);
  });

  it('resend() leaves alone what was written on the new connection already', async () => {
    const { sender, send } = senderOf({ resendOnReconnect: true });
    const fake = connection();
    await send(fake, 'a');
    expect(await sender.resend(fake.connection)).toBe(0);
    expect(fake.framesOf('SEND')).toHaveLength(1);
  });

  it('a send that finds its connection dead after a resend goes to the new connection', async () => {
    const { sender, send, reported } = senderOf({ resendOnReconnect: true });
    const dead = connection('dead:1');
    dead.lose();
    const live = connection('live:2');
    await sender.resend(live.connection);
    await send(dead, 'late');
    expect(sends(live).map(([body]) => body)).toEqual(['late']);
    await turn();
    live.receipt();
    await turn();
    expect(reported()).toEqual(['late:confirmed']);
  });

  it('a send on connections the broker ended with an unmatched ERROR twice is not written a third time: it fails in doubt', async () => {
    const { sender, send, outcomes } = senderOf({ resendOnReconnect: true });
    const refusedBy = (fake: FakeStompConnection) => fake.lose(new StompBrokerError({ message: 'bad frame' }, Buffer.alloc(0), fake.broker));
    const first = connection('one:1');
    await send(first, 'poison');
    await turn();
    refusedBy(first);
    await turn();
    const second = connection('two:2');
    expect(await sender.resend(second.connection)).toBe(1);
    refusedBy(second);
    await turn();
    const third = connection('three:3');
    expect(await sender.resend(third.connection)).toBe(0);
    expect(third.framesOf('SEND')).toEqual([]);
    expect(outcomes).toHaveLength(1);
    const error = outcomes[0]!.status === 'failed' ? outcomes[0]!.error : undefined;
    expect(error).toBeInstanceOf(SendInDoubtError);
    expect(error!.message).toBe(
      'the broker ended the connection with an ERROR (bad frame) 2 times while this send was unconfirmed: not written again; it may or may not have been stored',
    );
  });
});

describe('isConnectionLoss and windowBytes', () => {
  it('only an ERROR answering the request itself is a refusal; anything else is a lost connection', () => {
    expect(isConnectionLoss(new StompBrokerError({ message: 'no', 'receipt-id': '7' }, Buffer.alloc(0), 'b:1'))).toBe(false);
    expect(isConnectionLoss(new StompBrokerError({ message: 'no' }, Buffer.alloc(0), 'b:1'))).toBe(true);
    expect(isConnectionLoss(new StompConnectionClosedError('closed'))).toBe(true);
    expect(isConnectionLoss(new Error('anything'))).toBe(true);
  });

  it('counts a message’s body bytes (UTF-8), its headers and a fixed overhead', () => {
    expect(windowBytes({ destination: '/queue/q', headers: { ab: 'cd' }, body: 'é', durable: true })).toBe(2 + (2 + 2 + 2) + 24);
    expect(windowBytes({ destination: '/queue/q', headers: {}, body: Buffer.alloc(10), durable: true })).toBe(10 + 24);
  });
});

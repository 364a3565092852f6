import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { WritePacket } from '@nestjs/microservices';
import { ReplyRouter } from '../../../lib/client/reply-router.js';
import { ActiveMQError } from '../../../lib/errors/activemq-error.js';
import { ActiveMQMessageTooLargeError, ActiveMQRequestTimeoutError } from '../../../lib/errors/client-errors.js';
import type { StompFrame, StompHeaders } from '../../../lib/stomp/frame.js';
import { PayloadDecodeError } from '../../../lib/wire/payload-codec.js';
import { REPLY_HEADER } from '../../../lib/wire/reply-protocol.js';
import { bodyAsIsDeserializer, type ActiveMQDeserializer } from '../../../lib/wire/serializers.js';

/** A reply MESSAGE to `correlationId`: JSON `body`, and the reply kind when given. */
function reply(correlationId: string | undefined, body: unknown, kind?: string, headers: StompHeaders = {}): StompFrame {
  return {
    command: 'MESSAGE',
    headers: {
      'message-id': 'ID:reply-1',
      destination: '/temp-queue/replies',
      'content-type': 'application/json',
      ...(correlationId === undefined ? {} : { 'correlation-id': correlationId }),
      ...(kind === undefined ? {} : { [REPLY_HEADER]: kind }),
      ...headers,
    },
    body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
  };
}

/** A router and a request registered on it, with every packet its callback got. */
function request(router: ReplyRouter, pattern = 'orders.get', timeoutMs = 1000, reportedMs?: number) {
  const packets: WritePacket[] = [];
  const id = router.register(pattern, (packet) => packets.push(packet), timeoutMs, reportedMs);
  return { id, packets };
}

beforeEach(() => {
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('ReplyRouter: routing by correlation-id', () => {
  it('gives each request its own correlation id and hands a reply to the request it names only', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    const b = request(router);
    expect(a.id).not.toBe(b.id);
    expect(router.size).toBe(2);
    router.route(reply(b.id, { for: 'b' }));
    expect(b.packets).toEqual([{ response: { for: 'b' }, isDisposed: true }]);
    expect(a.packets).toEqual([]);
    expect(router.size).toBe(1);
  });

  it('drops a reply with an unknown correlation id, or none, and leaves the waiting requests alone', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    router.route(reply('not-a-request', 1));
    router.route(reply(undefined, 2));
    expect(a.packets).toEqual([]);
    expect(router.size).toBe(1);
  });

  it('hands the deserializer the decoded body, the request’s pattern and the headers', () => {
    const seen: unknown[] = [];
    const deserializer: ActiveMQDeserializer = {
      deserialize: (body, context) => {
        seen.push([body, context.channel, context.headers['x-trace']]);
        return { wrapped: body };
      },
    };
    const router = new ReplyRouter(deserializer);
    const a = request(router, 'prices.get');
    router.route(reply(a.id, [1, 2], undefined, { 'x-trace': 't-1' }));
    expect(seen).toEqual([[[1, 2], 'prices.get', 't-1']]);
    expect(a.packets).toEqual([{ response: { wrapped: [1, 2] }, isDisposed: true }]);
  });
});

describe('ReplyRouter: reply kinds', () => {
  it('a plain reply (no kind header, as a JMS replier sends) is the last value', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    router.route(reply(a.id, 'only'));
    expect(a.packets).toEqual([{ response: 'only', isDisposed: true }]);
    expect(router.size).toBe(0);
  });

  it('next values keep the request waiting; last ends it with its value', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    router.route(reply(a.id, 1, 'next'));
    router.route(reply(a.id, 2, 'next'));
    expect(router.size).toBe(1);
    router.route(reply(a.id, 3, 'last'));
    expect(a.packets).toEqual([{ response: 1 }, { response: 2 }, { response: 3, isDisposed: true }]);
    expect(router.size).toBe(0);
  });

  it('end closes the stream without a value', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    router.route(reply(a.id, 1, 'next'));
    router.route(reply(a.id, undefined, 'end'));
    expect(a.packets).toEqual([{ response: 1 }, { response: undefined, isDisposed: true }]);
    expect(router.size).toBe(0);
  });

  it('error fails the request with the body as its error', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    router.route(reply(a.id, { message: 'no stock' }, 'error'));
    expect(a.packets).toEqual([{ err: { message: 'no stock' } }]);
    expect(router.size).toBe(0);
  });

  it.each([null, 0, false, ''])('an error reply whose body is %j still fails the request (Nest reads a falsy err as a value)', (body) => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router, 'orders.get');
    router.route(reply(a.id, body, 'error'));
    expect(a.packets).toHaveLength(1);
    const err = a.packets[0]!.err as ActiveMQError;
    expect(err).toBeInstanceOf(ActiveMQError);
    expect(err.code).toBe('REMOTE_ERROR');
    expect(err.message).toBe(`the handler of 'orders.get' failed with ${JSON.stringify(body)}`);
    expect(router.size).toBe(0);
  });

  it('an unknown kind is taken as the last value', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    router.route(reply(a.id, 'v', 'something-new'));
    expect(a.packets).toEqual([{ response: 'v', isDisposed: true }]);
  });

  it('a reply after the last one is dropped', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    router.route(reply(a.id, 1));
    router.route(reply(a.id, 2));
    expect(a.packets).toEqual([{ response: 1, isDisposed: true }]);
  });

  it('a body that does not match its content type fails the request, not the router', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    router.route({ ...reply(a.id, 0), body: Buffer.from('{"broken": ') });
    expect(a.packets).toHaveLength(1);
    expect(a.packets[0]!.err).toBeInstanceOf(PayloadDecodeError);
    expect(router.size).toBe(0);
  });

  it('a deserializer that throws fails the request with what it threw, even for a next value', () => {
    const refusal = new Error('schema mismatch');
    const router = new ReplyRouter({
      deserialize: () => {
        throw refusal;
      },
    });
    const a = request(router);
    router.route(reply(a.id, 1, 'next'));
    expect(a.packets).toEqual([{ err: refusal }]);
    expect(router.size).toBe(0);
  });
});

describe('ReplyRouter: timeouts and giving up', () => {
  it('a request with no reply fails after its timeout with ActiveMQRequestTimeoutError naming the whole allowance', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router, 'orders.get', 400, 1000);
    jest.advanceTimersByTime(399);
    expect(a.packets).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(a.packets).toHaveLength(1);
    const error = a.packets[0]!.err as ActiveMQRequestTimeoutError;
    expect(error).toBeInstanceOf(ActiveMQRequestTimeoutError);
    expect(error.code).toBe('REQUEST_TIMEOUT');
    expect([error.pattern, error.timeoutMs]).toEqual(['orders.get', 1000]);
    expect(error.message).toBe("no reply to 'orders.get' within 1000 ms: is a server handling that pattern?");
    expect(router.size).toBe(0);
  });

  it('a reply arriving after the timeout is dropped', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router, 'orders.get', 100);
    jest.advanceTimersByTime(100);
    router.route(reply(a.id, 'late'));
    expect(a.packets).toHaveLength(1);
    expect(a.packets[0]!.err).toBeInstanceOf(ActiveMQRequestTimeoutError);
  });

  it('an answered request leaves no timer behind', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router, 'orders.get', 100);
    expect(jest.getTimerCount()).toBe(1);
    router.route(reply(a.id, 'v'));
    expect(jest.getTimerCount()).toBe(0);
  });

  it('next values do not reset the timeout', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router, 'orders.get', 100);
    jest.advanceTimersByTime(60);
    router.route(reply(a.id, 1, 'next'));
    jest.advanceTimersByTime(40);
    expect(a.packets.map((p) => (p.err === undefined ? 'value' : 'timeout'))).toEqual(['value', 'timeout']);
  });

  it('forget() stops waiting: no timeout, no reply', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router, 'orders.get', 100);
    router.forget(a.id);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(1000);
    router.route(reply(a.id, 'v'));
    expect(a.packets).toEqual([]);
    expect(router.size).toBe(0);
    router.forget(a.id); // twice, or unknown: nothing
  });

  it('fail() fails one request; an unknown id is ignored', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    const b = request(router);
    const error = new Error('write failed');
    router.fail(a.id, error);
    router.fail('unknown', error);
    expect(a.packets).toEqual([{ err: error }]);
    expect(b.packets).toEqual([]);
    expect(router.size).toBe(1);
  });

  it('failAll() fails every waiting request with the error, once, and clears their timers', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    const b = request(router);
    const lost = new Error('connection lost');
    router.failAll(lost);
    expect([a.packets, b.packets]).toEqual([[{ err: lost }], [{ err: lost }]]);
    expect(router.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(5000);
    expect([a.packets.length, b.packets.length]).toEqual([1, 1]);
  });
});

describe('ReplyRouter: oversize replies', () => {
  it('a reply over maxBodyBytes fails its request with its declared size', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router, 'report.get');
    router.tooLarge(reply(a.id, undefined, undefined, { 'content-length': '2048' }), 1024);
    expect(a.packets).toHaveLength(1);
    const error = a.packets[0]!.err as ActiveMQMessageTooLargeError;
    expect(error).toBeInstanceOf(ActiveMQMessageTooLargeError);
    expect(error.code).toBe('MESSAGE_TOO_LARGE');
    expect(error.message).toBe("the reply to 'report.get' is 2048 bytes, over the limit of 1024 bytes (maxBodyBytes): not read");
    expect(router.size).toBe(0);
  });

  it('without a content-length it says the reply is larger than the limit', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router, 'report.get');
    router.tooLarge(reply(a.id, undefined), 1024);
    expect((a.packets[0]!.err as Error).message).toBe("the reply to 'report.get' is larger than the limit of 1024 bytes (maxBodyBytes): not read");
  });

  it('an oversize reply nobody waits for is ignored', () => {
    const router = new ReplyRouter(bodyAsIsDeserializer);
    const a = request(router);
    router.tooLarge(reply('someone-else', undefined), 10);
    expect(a.packets).toEqual([]);
    expect(router.size).toBe(1);
  });
});

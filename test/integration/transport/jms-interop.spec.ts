// The transport against plain JMS clients: each broker's own Java client (Classic 5.17's and
// 6's over OpenWire, Artemis' over CORE), driven by scripts/jms/JmsTool.java through
// test/support/jms-client.ts. The JMS side never speaks STOMP: what reaches it is what the broker
// made of the transport's frames, and the other way round.
import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { ClientActiveMQ } from '../../../lib/client/client-activemq.js';
import { ActiveMQRecordBuilder } from '../../../lib/record-builders/activemq.record-builder.js';
import { ActiveMQContext } from '../../../lib/server/activemq.context.js';
import type { StompHeaders } from '../../../lib/stomp/frame.js';
import { brokerKind } from '../../support/broker.js';
import { JmsClient, PREPARE_TIMEOUT, type JmsMessage } from '../../support/jms-client.js';
import { deferred, newClient, startService, type RunningService } from '../../support/nest.js';

const P = `jms.${process.pid}.${Date.now().toString(36)}`;
const queue = (name: string) => `queue://${P}.${name}`;

/** What a handler received. */
interface Arrival {
  readonly data: unknown;
  readonly headers: Readonly<StompHeaders>;
}
const arrivals = new Map<string, ReturnType<typeof deferred<Arrival>>>();
/** The first message the handler of `name` receives. */
function arrival(name: string): Promise<Arrival> {
  if (!arrivals.has(name)) arrivals.set(name, deferred<Arrival>());
  return arrivals.get(name)!.promise;
}
function arrived(name: string, data: unknown, ctx: ActiveMQContext): void {
  void arrival(name);
  arrivals.get(name)!.resolve({ data, headers: ctx.getHeaders() });
}

/** How each request reached the price handler. */
const priceRequests: Array<'bytes' | 'parsed'> = [];

@Controller()
class InteropController {
  @EventPattern<string>(`${P}.json`)
  json(@Payload() data: unknown, @Ctx() ctx: ActiveMQContext): void {
    arrived('json', data, ctx);
  }

  @EventPattern<string>(`${P}.bytes`)
  bytes(@Payload() data: unknown, @Ctx() ctx: ActiveMQContext): void {
    arrived('bytes', data, ctx);
  }

  @EventPattern<string>(`${P}.text`)
  text(@Payload() data: unknown, @Ctx() ctx: ActiveMQContext): void {
    arrived('text', data, ctx);
  }

  @EventPattern<string>(`${P}.properties`)
  properties(@Payload() data: unknown, @Ctx() ctx: ActiveMQContext): void {
    arrived('properties', data, ctx);
  }

  @MessagePattern<string>(`${P}.price`)
  price(@Payload() order: unknown): { total: number } {
    // On Artemis a JMS TextMessage arrives as bytes (see "a JMS producer to a Nest handler"): the
    // handler reads the JSON itself then, as an application serving JMS requesters there would.
    priceRequests.push(Buffer.isBuffer(order) ? 'bytes' : 'parsed');
    const { quantity } = (Buffer.isBuffer(order) ? JSON.parse(order.toString('utf8')) : order) as { quantity: number };
    return { total: quantity * 3 };
  }
}

/** Bytes that are no text: a NUL, an invalid UTF-8 sequence, every high bit. */
const BINARY = Buffer.from([0x00, 0x01, 0xfe, 0xff, 0xc3, 0x28, 0x7f, 0x80, 0x00, 0x0a]);

let jms: JmsClient;
let service: RunningService;
let client: ClientActiveMQ;
beforeAll(async () => {
  // The first run fetches the broker's JMS client from Maven Central and compiles the helper.
  jms = await JmsClient.prepare();
  service = await startService([InteropController]);
  client = newClient();
}, PREPARE_TIMEOUT + 20_000);
afterAll(async () => {
  await client?.close();
  await service?.close();
});

/** Artemis hands a STOMP 1.2 consumer a JMS TextMessage as bytes (see "a JMS producer to a Nest handler"). */
const textMessagesArriveAsBytes = brokerKind() === 'artemis';

describe(`interoperability with the broker's own JMS client (${brokerKind()})`, () => {
  describe('a JMS producer to a Nest handler', () => {
    // ActiveMQ Classic maps a JMS TextMessage to a MESSAGE frame without content-length and a
    // BytesMessage to one with it (the Classic documentation's STOMP page, "Working with JMS
    // Text/Bytes Messages and Stomp"), which the transport reads as text (JSON when it parses) and
    // as bytes (docs/wire-format.md). Artemis' documentation states the same rule ("Protocols and
    // Interoperability", STOMP, "Sending and consuming STOMP messages from JMS"), but Artemis 2.40
    // writes content-length on every STOMP 1.1/1.2 MESSAGE frame (only STOMP 1.0 frames of text
    // go without it since ARTEMIS-234), so a TextMessage reaches a STOMP 1.2 consumer exactly as a
    // BytesMessage does: no content-type, a content-length. The transport then hands the handler
    // a Buffer holding the text's UTF-8.

    it(`a TextMessage holding JSON reaches an @EventPattern handler ${textMessagesArriveAsBytes ? 'as the bytes of its text (Artemis)' : 'as parsed JSON'}`, async () => {
      const json = '{"id":"J-1","quantity":4,"note":"prix 3 €"}';
      await jms.produce(queue('json'), { text: json });
      const received = await arrival('json');
      expect(received.headers['content-type']).toBeUndefined();
      if (textMessagesArriveAsBytes) {
        expect(received.headers['content-length']).toBe(String(Buffer.byteLength(json)));
        expect(Buffer.isBuffer(received.data)).toBe(true);
        expect((received.data as Buffer).toString('utf8')).toBe(json);
      } else {
        expect(received.headers['content-length']).toBeUndefined();
        expect(received.data).toEqual({ id: 'J-1', quantity: 4, note: 'prix 3 €' });
      }
    });

    it('a BytesMessage reaches the handler as the same bytes', async () => {
      await jms.produce(queue('bytes'), { bytes: BINARY });
      const received = await arrival('bytes');
      expect(received.headers['content-length']).toBe(String(BINARY.length));
      expect(Buffer.isBuffer(received.data)).toBe(true);
      expect((received.data as Buffer).equals(BINARY)).toBe(true);
    });

    it(`a TextMessage of plain text reaches the handler ${textMessagesArriveAsBytes ? 'as the bytes of its text (Artemis)' : 'as a string'}`, async () => {
      const text = 'plain text, 3 € — not JSON';
      await jms.produce(queue('text'), { text });
      const received = await arrival('text');
      if (textMessagesArriveAsBytes) {
        expect(Buffer.isBuffer(received.data)).toBe(true);
        expect((received.data as Buffer).toString('utf8')).toBe(text);
      } else {
        expect(received.data).toBe(text);
      }
    });
  });

  describe('ClientActiveMQ.emit() to a JMS consumer', () => {
    /** Starts a JMS consumer of `name`, emits `data` there once it listens, and returns what it received. */
    async function emitToJms(name: string, data: unknown): Promise<JmsMessage> {
      const consumer = jms.consumer(queue(name), 1);
      await consumer.ready;
      await lastValueFrom(client.emit(`${P}.${name}`, data), { defaultValue: undefined });
      await consumer.done;
      return consumer.events<JmsMessage>('message')[0]!;
    }

    it('a JSON object arrives as a TextMessage holding its JSON, persistent', async () => {
      const message = await emitToJms('to-jms.json', { id: 'N-1', note: 'from Nest, 3 €' });
      expect(message.type).toBe('Text');
      expect(JSON.parse(message.body!)).toEqual({ id: 'N-1', note: 'from Nest, 3 €' });
      // Events are persistent by default (docs/wire-format.md, "Persistence").
      expect(message.deliveryMode).toBe('persistent');
    });

    it('a string arrives as a TextMessage of that text', async () => {
      const message = await emitToJms('to-jms.text', 'plain text, 3 € — from Nest');
      expect(message).toMatchObject({ type: 'Text', body: 'plain text, 3 € — from Nest' });
    });

    it('a Buffer arrives as a BytesMessage of the same bytes', async () => {
      const message = await emitToJms('to-jms.bytes', BINARY);
      expect(message.type).toBe('Bytes');
      expect(Buffer.from(message.body!, 'base64').equals(BINARY)).toBe(true);
    });
  });

  describe('request and reply', () => {
    // On Artemis a JMS requester's TemporaryQueue reaches a STOMP consumer as
    // `reply-to:temp-queue://<UUID>`, which the server accepts as private and answers at that
    // address; the client's own reply queue is written `queue://nestjs.replies.<UUID>`, which
    // Artemis' JMS client reads as a queue (lib/wire/broker-dialect.ts).
    it('a JMS requester (JMSReplyTo a TemporaryQueue, JMSCorrelationID) gets its reply from a @MessagePattern handler', async () => {
      const from = service.logger.lines.length;
      const { sent, reply } = await jms.request(queue('price'), { text: '{"quantity":5}', correlationId: `jms-42-${P}` }).catch((error: Error) => {
        // Say why there was no reply: the server logs a reply-to it refuses.
        const said = service.logger.lines.slice(from).filter((line) => /reply/i.test(line.message));
        throw new Error(`${error.message}\nthe service logged: ${JSON.stringify(said)}`);
      });
      expect(sent.replyTo).toMatch(/^temp-queue:\/\//);
      expect(reply.correlationId).toBe(`jms-42-${P}`);
      expect(reply.type).toBe('Text');
      expect(JSON.parse(reply.body!)).toEqual({ total: 15 });
      expect(priceRequests).toEqual([textMessagesArriveAsBytes ? 'bytes' : 'parsed']);
    });

    it('ClientActiveMQ.send() gets its reply from a JMS replier', async () => {
      const replier = jms.replier(queue('jms-replier'), 1);
      await replier.ready;
      // The replier's end (or failure, with its stderr) is awaited with the reply, so that a replier that cannot answer fails the test at once.
      const [reply] = await Promise.all([lastValueFrom<unknown>(client.send(`${P}.jms-replier`, { n: 1, note: '3 €' })), replier.done]);
      expect(reply).toEqual({ n: 1, note: '3 €' });
      const [served] = replier.events<{ request: JmsMessage; correlationId: string }>('replied');
      expect(served!.request.type).toBe('Text');
      // Requests are not persistent (docs/wire-format.md, "Persistence").
      expect(served!.request.deliveryMode).toBe('non-persistent');
      // The client's reply queue as JMSReplyTo: on Classic its temporary queue; on Artemis its
      // own queue, which Artemis' JMS client must read as a queue to answer it.
      expect(served!.request.replyTo).toMatch(brokerKind() === 'artemis' ? /^queue:\/\/nestjs\.replies\./ : /^temp-queue:\/\/ID:/);
      expect(served!.request.correlationId).not.toBeNull();
      expect(served!.correlationId).toBe(served!.request.correlationId);
    });
  });

  describe('JMS properties and STOMP headers', () => {
    it('string, int and boolean properties of a JMS message appear in ctx.getHeaders()', async () => {
      await jms.produce(queue('properties'), { text: '{}', properties: { region: 'eu-west', attempt: 3, urgent: true } });
      const { headers } = await arrival('properties');
      // STOMP header values are text (STOMP 1.2, "Frames and headers"): the broker writes each property's value as a string.
      expect(headers).toMatchObject({ region: 'eu-west', attempt: '3', urgent: 'true' });
    });

    it('a header set with ActiveMQRecordBuilder appears as a JMS string property', async () => {
      const consumer = jms.consumer(queue('to-jms.headers'), 1);
      await consumer.ready;
      const record = new ActiveMQRecordBuilder({ id: 'N-2' }).setHeaders({ tenant: 'acme', orderRef: 'R-77' }).build();
      await lastValueFrom(client.emit(`${P}.to-jms.headers`, record), { defaultValue: undefined });
      await consumer.done;
      const [message] = consumer.events<JmsMessage>('message');
      expect(message!.properties).toMatchObject({ tenant: 'acme', orderRef: 'R-77' });
      expect(message!.propertyTypes).toMatchObject({ tenant: 'String', orderRef: 'String' });
      expect(JSON.parse(message!.body!)).toEqual({ id: 'N-2' });
      // The transport's own headers travel the same way: the send's id (docs/wire-format.md,
      // "Headers the transport owns"), which a JMS consumer can deduplicate on.
      expect(message!.properties['nestjsMessageId']).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]{16}\.\d+$/));
      // The body's content-type: Classic keeps the STOMP header as a property of the same name
      // (its STOMP page, "Stomp - JMS mapping"); Artemis keeps it as `_AMQ_CONTENT_TYPE`, since
      // `content-type` is no valid JMS property name (ARTEMIS-230, "Allow setting STOMP
      // content-type header via JMS"), and maps that property back to content-type for STOMP.
      if (brokerKind() === 'artemis') {
        expect(message!.properties).toMatchObject({ _AMQ_CONTENT_TYPE: 'application/json' });
        expect(message!.properties['content-type']).toBeUndefined();
      } else {
        expect(message!.properties).toMatchObject({ 'content-type': 'application/json' });
      }
    });
  });
});

import { afterEach, describe, expect, it } from '@jest/globals';
import { EmbeddedBroker } from '../../../lib/broker/embedded-broker.js';
import { reconnectPolicyOf } from '../../../lib/config/reconnect-policy.js';
import type { StompConnection, StompConnectionOptions } from '../../../lib/connection/stomp-connection.js';
import { ConnectionSupervisor, type PreparationReason, type SupervisedRole } from '../../../lib/connection/supervisor.js';
import { ActiveMQStatus } from '../../../lib/events/activemq.events.js';
import { StompBrokerError, type StompError } from '../../../lib/stomp/errors.js';
import { RecordingLogger } from '../../support/nest.js';

/**
 * The supervisor against the embedded broker in-process (`stream`): the real protocol, no socket.
 * A broker "outage" is its stop; a new in-memory broker takes its place for the reconnection.
 */
class Outages {
  broker = EmbeddedBroker.inMemory();
  readonly endpoint: StompConnectionOptions = { host: 'unit', port: 0, heartBeat: [0, 0], stream: () => this.broker.connect() };

  async outage(): Promise<void> {
    const old = this.broker;
    this.broker = EmbeddedBroker.inMemory();
    await old.stop();
  }
}

interface Recorded {
  readonly supervisor: ConnectionSupervisor;
  readonly statuses: ActiveMQStatus[];
  readonly prepared: PreparationReason[];
  readonly lost: Array<StompError | undefined>;
  readonly gaveUp: Error[];
  /** Resolves at the first `gaveUp`. */
  readonly givenUp: Promise<Error>;
  readonly logger: RecordingLogger;
}

const running: ConnectionSupervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

function supervise(outages: Outages, uriOptions = 'initialReconnectDelay=10', role: Partial<SupervisedRole> = {}): Recorded {
  const params = new URLSearchParams(uriOptions);
  const options = Object.fromEntries([...params].map(([k, v]) => [k, Number(v)]));
  let givenUp!: (error: Error) => void;
  const recorded = {
    statuses: [] as ActiveMQStatus[],
    prepared: [] as PreparationReason[],
    lost: [] as Array<StompError | undefined>,
    gaveUp: [] as Error[],
    givenUp: new Promise<Error>((resolve) => (givenUp = resolve)),
    logger: new RecordingLogger(),
  };
  const supervisor = new ConnectionSupervisor({
    brokers: [outages.endpoint],
    startup: { retries: 0 },
    reconnect: reconnectPolicyOf(options),
    logger: recorded.logger,
    status: (s) => recorded.statuses.push(s),
    role: {
      prepare: async (_c, reason) => void recorded.prepared.push(reason),
      drainBackup: async () => undefined,
      lost: (_c, error) => void recorded.lost.push(error),
      gaveUp: (error) => {
        recorded.gaveUp.push(error);
        givenUp(error);
      },
      ...role,
    },
  });
  running.push(supervisor);
  return { supervisor, ...recorded };
}

const next = (s: ConnectionSupervisor, event: 'connect' | 'disconnect') => new Promise<unknown>((resolve) => s.on(event, (arg: unknown) => resolve(arg)));

describe('ConnectionSupervisor', () => {
  it('opens one connection for concurrent callers, prepares it, then reports it connected', async () => {
    const outages = new Outages();
    const r = supervise(outages);
    const connected = next(r.supervisor, 'connect');
    const [a, b] = await Promise.all([r.supervisor.connect(), r.supervisor.connect()]);
    expect(a).toBe(b);
    expect(await connected).toBe('vm://unit');
    expect(r.prepared).toEqual(['start']);
    expect(r.statuses).toEqual([ActiveMQStatus.CONNECTING, ActiveMQStatus.CONNECTED]);
    expect(r.supervisor.connection).toBe(a);
    await outages.broker.stop();
  });

  it('after a loss: the role hears of it, one warning, reconnection, prepare("reconnect"), one "reconnected" line', async () => {
    const outages = new Outages();
    const r = supervise(outages, 'initialReconnectDelay=10', { reconnectedDetail: () => '; back' });
    const first = await r.supervisor.connect();
    const back = next(r.supervisor, 'connect');
    await outages.outage();
    const second = (await back) as string;
    expect(second).toBe('vm://unit');
    expect(r.supervisor.connection).not.toBe(first);
    expect(r.lost).toHaveLength(1);
    expect(r.lost[0]).toBeDefined();
    expect(r.prepared).toEqual(['start', 'reconnect']);
    expect(r.statuses).toEqual([ActiveMQStatus.CONNECTING, ActiveMQStatus.CONNECTED, ActiveMQStatus.DISCONNECTED, ActiveMQStatus.RECONNECTING, ActiveMQStatus.CONNECTED]);
    expect(r.supervisor.reconnections).toBe(1);
    expect(r.logger.lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([expect.stringMatching(/^lost the connection to vm:\/\/unit: .*; reconnecting$/)]);
    expect(r.logger.lines.filter((l) => l.level === 'log').map((l) => l.message)).toEqual(['reconnected to vm://unit; back']);
    await outages.broker.stop();
  });

  it('an error event goes to listeners only; the outage is logged the same either way', async () => {
    const outages = new Outages();
    const r = supervise(outages);
    await r.supervisor.connect();
    const errors: Error[] = [];
    r.supervisor.on('error', (e) => errors.push(e));
    const back = next(r.supervisor, 'connect');
    await outages.outage();
    await back;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBe(r.lost[0]);
    await outages.broker.stop();
  });

  it('with reconnection off, a loss is final: one error line, gaveUp, DISCONNECTED', async () => {
    const outages = new Outages();
    const r = supervise(outages, 'maxReconnectAttempts=0', { afterGivingUp: 'nothing more happens' });
    await r.supervisor.connect();
    const lost = next(r.supervisor, 'disconnect');
    await outages.outage();
    await lost;
    expect(r.gaveUp).toHaveLength(1);
    expect(r.statuses.at(-1)).toBe(ActiveMQStatus.DISCONNECTED);
    expect(r.logger.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      expect.stringMatching(/^lost the connection to vm:\/\/unit: .*; reconnection is off; nothing more happens$/),
    ]);
    expect(r.supervisor.connection).toBeUndefined();
    await outages.broker.stop();
  });

  it('a preparation the broker refuses on a live connection is final: reconnecting cannot fix it', async () => {
    const outages = new Outages();
    let calls = 0;
    const refused = new StompBrokerError({ message: 'not authorized to subscribe' }, Buffer.alloc(0), 'vm://unit');
    const r = supervise(outages, 'initialReconnectDelay=10', {
      prepare: async () => {
        if (++calls > 1) throw refused;
      },
      afterGivingUp: 'no more',
    });
    await r.supervisor.connect();
    await outages.outage();
    expect(await r.givenUp).toBe(refused);
    expect(calls).toBe(2);
    expect(r.gaveUp).toEqual([refused]);
    expect(r.logger.lines.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([`${refused.message}; no more`]);
    expect(r.statuses.at(-1)).toBe(ActiveMQStatus.DISCONNECTED);
    await outages.broker.stop();
  });

  it('close() while reconnecting stops the attempts quietly and ends CLOSED', async () => {
    const outages = new Outages();
    const r = supervise(outages, 'initialReconnectDelay=50');
    await r.supervisor.connect();
    const lost = next(r.supervisor, 'disconnect');
    // No broker comes back (the one the endpoint opens is stopped too): the attempts go on until close().
    const old = outages.broker;
    const gone = EmbeddedBroker.inMemory();
    await gone.stop();
    outages.broker = gone;
    await old.stop();
    await lost;
    expect(r.statuses.at(-1)).toBe(ActiveMQStatus.RECONNECTING);
    await r.supervisor.close();
    expect(r.statuses.at(-1)).toBe(ActiveMQStatus.CLOSED);
    expect(r.gaveUp).toHaveLength(1);
    expect(r.logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });

  it('close() disconnects the current connection as a requested close (no error, no reconnection)', async () => {
    const outages = new Outages();
    const r = supervise(outages);
    const connection: StompConnection = await r.supervisor.connect();
    const disconnected = next(r.supervisor, 'disconnect');
    await r.supervisor.close();
    expect(await disconnected).toBeUndefined();
    expect(connection.isClosed).toBe(true);
    expect(r.lost).toEqual([undefined]);
    expect(r.statuses.slice(-1)).toEqual([ActiveMQStatus.CLOSED]);
    expect(r.supervisor.reconnections).toBe(0);
    await outages.broker.stop();
  });
});

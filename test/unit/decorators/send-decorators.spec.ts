import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import { sendContext } from '../../../lib/producer/send-context.js';
import { DurableSend, NonDurableSend, Transactional } from '../../../lib/decorators/send-decorators.js';

describe('send decorators', () => {
  it('carry a delivery delay and a JMS type, an inner decorator overriding them', async () => {
    class Service {
      @DurableSend({ deliveryDelay: 5000, type: 'Reminder' })
      async outer() {
        return [sendContext.getStore()?.options, await this.inner()];
      }
      @NonDurableSend({ deliveryDelay: 0 })
      async inner() {
        return sendContext.getStore()?.options;
      }
    }
    expect(await new Service().outer()).toEqual([
      { deliveryDelay: 5000, type: 'Reminder', durable: true },
      { deliveryDelay: 0, type: 'Reminder', durable: false },
    ]);
  });

  it('set the send options for the call, across awaits', async () => {
    class Service {
      @DurableSend({ block: false, priority: 7 })
      async durable() {
        await new Promise((resolve) => setImmediate(resolve));
        return sendContext.getStore()?.options;
      }
    }
    expect(await new Service().durable()).toEqual({ block: false, priority: 7, durable: true });
    expect(sendContext.getStore()).toBeUndefined();
  });

  it('do not leak into concurrent calls', async () => {
    class Service {
      @DurableSend({ block: true })
      async a() {
        await new Promise((resolve) => setTimeout(resolve, 5));
        return sendContext.getStore()?.options;
      }
      @NonDurableSend()
      async b() {
        await new Promise((resolve) => setImmediate(resolve));
        return sendContext.getStore()?.options;
      }
      async plain() {
        await new Promise((resolve) => setImmediate(resolve));
        return sendContext.getStore()?.options;
      }
    }
    const s = new Service();
    const [a, b, plain] = await Promise.all([s.a(), s.b(), s.plain()]);
    expect(a).toEqual({ block: true, durable: true });
    expect(b).toEqual({ durable: false });
    expect(plain).toBeUndefined();
  });

  it('on a class, apply to every method it declares, keeping other decorators’ metadata', () => {
    const Tag = (): MethodDecorator => (_t, _k, descriptor) => {
      Reflect.defineMetadata('tag', 'kept', descriptor.value as object);
    };
    @NonDurableSend({ block: true })
    class Service {
      @Tag()
      first() {
        return sendContext.getStore()?.options;
      }
      second() {
        return sendContext.getStore()?.options;
      }
    }
    const s = new Service();
    expect(s.first()).toEqual({ block: true, durable: false });
    expect(s.second()).toEqual({ block: true, durable: false });
    // eslint-disable-next-line @typescript-eslint/unbound-method -- the method itself is the metadata target; it is not called
    expect(Reflect.getMetadata('tag', Service.prototype.first)).toBe('kept');
    expect(Service.prototype.first.name).toBe('first');
  });

  it('an inner decorator overrides an outer one for its own call only', async () => {
    class Service {
      @DurableSend({ priority: 1 })
      async outer() {
        const inner = await this.inner();
        return [sendContext.getStore()?.options, inner];
      }
      @NonDurableSend()
      async inner() {
        return sendContext.getStore()?.options;
      }
    }
    expect(await new Service().outer()).toEqual([
      { priority: 1, durable: true },
      { priority: 1, durable: false },
    ]);
  });

  it('@Transactional opens a transaction scope, joined by nested calls', async () => {
    class Service {
      @Transactional()
      async outer() {
        const scope = sendContext.getStore()?.transactionScope;
        return [scope, await this.inner()];
      }
      @Transactional()
      async inner() {
        return sendContext.getStore()?.transactionScope;
      }
    }
    const [outer, inner] = await new Service().outer();
    expect(outer).toBeDefined();
    expect(inner).toBe(outer);
  });

  it('refuse unknown options and bad values at decoration time', () => {
    expect(() => DurableSend({ blok: false } as never)).toThrow("@DurableSend(): unknown option 'blok'; known options: block, priority, timeToLive, deliveryDelay, type");
    expect(() => DurableSend({ deliveryDelay: -5 })).toThrow('@DurableSend(): deliveryDelay must be a whole number of milliseconds from 0 to 315360000000, got -5');
    expect(() => NonDurableSend({ deliveryDelay: 1.5 })).toThrow(/@NonDurableSend\(\): deliveryDelay must be a whole number of milliseconds/);
    expect(() => DurableSend({ deliveryDelay: 11 * 365 * 24 * 3600 * 1000 })).toThrow(/deliveryDelay must be a whole number of milliseconds from 0 to/);
    expect(() => DurableSend({ type: '' })).toThrow('@DurableSend(): type must be a JMS type (a non-empty string), got ""');
    expect(() => NonDurableSend({ type: 7 as never })).toThrow(/@NonDurableSend\(\): type must be a JMS type/);
    expect(() => NonDurableSend({ priority: 10 })).toThrow(/priority must be an integer from 0 to 9/);
    expect(() => DurableSend({ timeToLive: -1 })).toThrow(/timeToLive must be a positive/);
    expect(() => DurableSend({ block: 'yes' as never })).toThrow(/block must be true or false/);
    // @ts-expect-error an unknown option is a compile-time error
    expect(() => DurableSend({ persistent: true })).toThrow(/unknown option 'persistent'/);
  });
});

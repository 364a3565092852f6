import 'reflect-metadata';
import { describe, expect, it, jest } from '@jest/globals';
import { MessagePattern } from '@nestjs/microservices';
import { decorateAllMethods, wrapMethod } from '../../../lib/decorators/wrap-methods.js';

/** Where Nest's @MessagePattern keeps the pattern (PATTERN_METADATA of @nestjs/microservices). */
const PATTERN = 'microservices:pattern';

type Method = (...args: unknown[]) => unknown;

/** A method decorator through wrapMethod: each call is recorded, then runs the original with its `this`; `originals` keeps what it wrapped. */
function recording() {
  const calls: unknown[][] = [];
  const originals: Method[] = [];
  const decorator: MethodDecorator = (target, key, descriptor) =>
    wrapMethod(target, key, descriptor, (original) => {
      originals.push(original);
      return function (this: unknown, ...args: unknown[]) {
        calls.push(args);
        return original.apply(this, args);
      };
    });
  return { calls, originals, decorator };
}

/** Stores metadata on the method's function, as Nest's decorators do (`Reflect.metadata` would store it on the prototype's property instead). */
const onFunction =
  (key: string, value: unknown): MethodDecorator =>
  (_target, _key, descriptor) =>
    Reflect.defineMetadata(key, value, descriptor.value as object);

/** The function a class's prototype holds under `key`. */
const methodOf = (cls: { prototype: object }, key: string): Method => Object.getOwnPropertyDescriptor(cls.prototype, key)!.value as Method;

/** Every metadata key and value of `fn`. */
const metadataOf = (fn: object) => Object.fromEntries((Reflect.getMetadataKeys(fn) as string[]).map((key) => [key, Reflect.getMetadata(key, fn) as unknown]));

describe('wrapMethod', () => {
  it("replaces the descriptor's method with what wrap makes of the original, and returns the descriptor", () => {
    const descriptor: PropertyDescriptor = { value: (name: unknown) => `hi ${String(name)}`, writable: true, configurable: true };
    const wrap = jest.fn(
      (original: Method) =>
        (...args: unknown[]) =>
          `<${String(original(...args))}>`,
    );
    const result = wrapMethod({}, 'greet', descriptor, wrap);
    expect(result).toBe(descriptor);
    expect(wrap).toHaveBeenCalledTimes(1);
    expect((descriptor.value as Method)('bob')).toBe('<hi bob>');
  });

  it('as a method decorator, calls go through the wrapper to the original, with its this and arguments', () => {
    const { calls, decorator } = recording();
    class Greeter {
      prefix = 'hello';
      @decorator
      greet(name: string, punctuation: string) {
        return `${this.prefix} ${name}${punctuation}`;
      }
    }
    expect(new Greeter().greet('ann', '!')).toBe('hello ann!');
    expect(calls).toEqual([['ann', '!']]);
  });

  it('keeps the original name on the wrapped method', () => {
    const { decorator } = recording();
    class Service {
      @decorator
      placeOrder() {}
    }
    expect(methodOf(Service, 'placeOrder').name).toBe('placeOrder');
  });

  it('copies the metadata that decorators applied before it stored on the original', () => {
    const { decorator, originals } = recording();
    class Controller {
      @decorator
      @MessagePattern('orders.get')
      @onFunction('custom:key', { kept: true })
      get() {}
    }
    const original = originals[0]!;
    expect(methodOf(Controller, 'get')).not.toBe(original);
    expect(Reflect.getMetadata('custom:key', methodOf(Controller, 'get'))).toEqual({ kept: true });
    expect(Reflect.getMetadata(PATTERN, methodOf(Controller, 'get'))).toEqual(['orders.get']);
    expect(Object.keys(metadataOf(original)).length).toBeGreaterThan(1);
    expect(metadataOf(methodOf(Controller, 'get'))).toEqual(metadataOf(original));
  });

  it('metadata of decorators applied after it lands on the wrapped method', () => {
    const { decorator, originals } = recording();
    class Controller {
      @MessagePattern('orders.get')
      @decorator
      get() {}
    }
    expect(methodOf(Controller, 'get')).not.toBe(originals[0]);
    expect(Reflect.getMetadata(PATTERN, methodOf(Controller, 'get'))).toEqual(['orders.get']);
  });

  it('works without reflect-metadata: nothing to copy', () => {
    const reflect = Reflect as { getMetadataKeys?: unknown };
    const getMetadataKeys = reflect.getMetadataKeys;
    reflect.getMetadataKeys = undefined;
    try {
      const descriptor: PropertyDescriptor = { value: function original() {} };
      wrapMethod({}, 'm', descriptor, () => () => 'wrapped');
      expect((descriptor.value as Method)()).toBe('wrapped');
      expect((descriptor.value as Method).name).toBe('original');
    } finally {
      reflect.getMetadataKeys = getMetadataKeys;
    }
  });

  it('refuses what is not a method, naming it and its class, before wrapping anything', () => {
    class Settings {}
    const wrap = jest.fn((original: Method) => original);
    expect(() => wrapMethod(Settings.prototype, 'count', { value: 42 }, wrap)).toThrow(new TypeError('count of Settings is not a method'));
    expect(() => wrapMethod(Settings.prototype, 'size', { get: () => 1 }, wrap)).toThrow(new TypeError('size of Settings is not a method'));
    expect(() => wrapMethod(Settings.prototype, Symbol('tag'), { value: 'x' }, wrap)).toThrow(new TypeError('Symbol(tag) of Settings is not a method'));
    expect(() => wrapMethod(Object.create(null) as object, 'x', { value: 1 }, wrap)).toThrow(new TypeError('x of a class is not a method'));
    expect(wrap).not.toHaveBeenCalled();
  });
});

describe('decorateAllMethods', () => {
  it('decorates every method the class declares, symbol keys included', () => {
    const tag = Symbol('tag');
    class Service {
      a() {
        return 'a';
      }
      b() {
        return 'b';
      }
      [tag]() {
        return 'tag';
      }
    }
    const { calls, decorator } = recording();
    decorateAllMethods(Service, decorator);
    const service = new Service();
    expect([service.a(), service.b(), service[tag]()]).toEqual(['a', 'b', 'tag']);
    expect(calls).toHaveLength(3);
  });

  it('leaves out the constructor, accessors, static and inherited methods', () => {
    class Base {
      inherited() {}
    }
    class Service extends Base {
      stored = 0;
      constructor() {
        super();
      }
      get value() {
        return this.stored;
      }
      set value(v: number) {
        this.stored = v;
      }
      static create() {
        return new Service();
      }
      own() {}
    }
    const decorated: Array<string | symbol> = [];
    decorateAllMethods(Service, (_target, key) => void decorated.push(key));
    expect(decorated).toEqual(['own']);
  });

  it('a decorator that returns nothing keeps the descriptor it was given, with its changes and attributes', () => {
    class Service {
      run() {
        return 'original';
      }
    }
    decorateAllMethods(Service, (_target, _key, descriptor) => {
      (descriptor as PropertyDescriptor).value = () => 'changed in place';
    });
    expect(new Service().run()).toBe('changed in place');
    expect(Object.getOwnPropertyDescriptor(Service.prototype, 'run')).toMatchObject({ enumerable: false, writable: true, configurable: true });
  });

  it('a decorator that returns a descriptor has that one defined', () => {
    class Service {
      run() {
        return 'original';
      }
    }
    decorateAllMethods(Service, (_target, _key, descriptor) => ({ ...descriptor, value: () => 'replaced' }) as typeof descriptor);
    expect(new Service().run()).toBe('replaced');
  });

  it('with wrapMethod, each method keeps its name and its metadata', () => {
    class Controller {
      @MessagePattern('a')
      a() {}
      @onFunction('custom:key', 'b')
      b() {}
    }
    const before = { a: metadataOf(methodOf(Controller, 'a')), b: metadataOf(methodOf(Controller, 'b')) };
    const { decorator, originals } = recording();
    decorateAllMethods(Controller, decorator);
    expect(originals).toHaveLength(2);
    expect([methodOf(Controller, 'a').name, methodOf(Controller, 'b').name]).toEqual(['a', 'b']);
    expect({ a: metadataOf(methodOf(Controller, 'a')), b: metadataOf(methodOf(Controller, 'b')) }).toEqual(before);
    expect(methodOf(Controller, 'a')).not.toBe(originals[0]);
  });
});

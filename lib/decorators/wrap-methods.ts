/**
 * Replaces a method with `wrap(original)`, keeping its name and the metadata other decorators
 * (Nest's `@Get`, `@MessagePattern`, …) stored on the function, whichever order they run in.
 */
export function wrapMethod(
  target: object,
  key: string | symbol,
  descriptor: PropertyDescriptor,
  wrap: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown,
): PropertyDescriptor {
  const original = descriptor.value as unknown;
  if (typeof original !== 'function') {
    throw new TypeError(`${String(key)} of ${(target as { constructor?: { name?: string } }).constructor?.name ?? 'a class'} is not a method`);
  }
  const wrapped = wrap(original as (...args: unknown[]) => unknown);
  Object.defineProperty(wrapped, 'name', { value: (original as { name: string }).name });
  for (const metadataKey of Reflect.getMetadataKeys?.(original) ?? []) {
    Reflect.defineMetadata(metadataKey, Reflect.getMetadata(metadataKey, original), wrapped);
  }
  descriptor.value = wrapped;
  return descriptor;
}

/** Applies a method decorator to every method a class declares (its own prototype, not inherited ones). */
export function decorateAllMethods(target: { prototype: object }, decorate: MethodDecorator): void {
  const prototype = target.prototype;
  for (const key of Reflect.ownKeys(prototype)) {
    if (key === 'constructor') continue;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key);
    if (!descriptor || typeof descriptor.value !== 'function') continue;
    const decorated = decorate(prototype, key, descriptor) ?? descriptor;
    Object.defineProperty(prototype, key, decorated);
  }
}

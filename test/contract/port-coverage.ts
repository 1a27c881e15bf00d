import { afterAll, expect } from 'vitest';

/** Every method name of a port, as a literal the compiler checks complete against the port (`satisfies MethodsOf<Port>`). */
export type MethodsOf<T> = { [K in keyof T]-?: true };

/**
 * Wraps each named collection of `store` so that its calls are recorded, and checks after the
 * suite that the contract called every method listed for it: a method added to a port and not
 * exercised fails the contract on every adapter.
 */
export function coveringEveryMethod<S extends object>(open: () => Promise<S>, ports: { [name: string]: Record<string, true> }): () => Promise<S> {
  const called = new Set<string>();
  afterAll(() => {
    const listed = Object.entries(ports).flatMap(([port, methods]) => Object.keys(methods).map((method) => `${port}.${method}`));
    expect(listed.filter((method) => !called.has(method)), 'port methods the contract never called').toEqual([]);
  });
  return async () => {
    const store = await open();
    const wrapped = Object.fromEntries(Object.keys(ports).map((port) => [port, recording(port, (store as Record<string, object>)[port]!, called)]));
    return new Proxy(store, { get: (target, property, receiver) => (typeof property === 'string' && property in wrapped ? wrapped[property] : Reflect.get(target, property, receiver)) });
  };
}

function recording(port: string, collection: object, called: Set<string>): object {
  return new Proxy(collection, {
    get(target, property) {
      const value = Reflect.get(target, property, target);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        called.add(`${port}.${property}`);
        return value.apply(target, args);
      };
    },
  });
}

// Own-property access for objects built from client input. Keys such as `__proto__` come
// straight from request bodies; a plain `obj[key]` read would return a shared prototype and
// the next write would change every object in the process (prototype pollution). With these,
// such a key is just another (unknown) field.

/** `obj[key]` if it is the object's own property, else undefined. */
export function getOwn(obj: object, key: string | number): unknown {
  return Object.hasOwn(obj, key) ? (obj as Record<string | number, unknown>)[key] : undefined
}

/** Defines `obj[key] = value` as an own data property, never invoking a setter. */
export function setOwn(obj: object, key: string | number, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

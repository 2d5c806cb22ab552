export type Listener<T> = (v: T) => void;

/** Adds a listener and returns its removal (every listener has one). */
export function subscribe<T>(set: Set<Listener<T>>, fn: Listener<T>): () => void {
  set.add(fn);
  return () => set.delete(fn);
}

/** A throwing listener must not break the read loop that calls it. */
export function emit<T>(set: Set<Listener<T>>, v: T): void {
  for (const fn of [...set]) {
    try {
      fn(v);
    } catch {
      // listeners own their errors; the caller keeps going
    }
  }
}

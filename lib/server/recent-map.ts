/**
 * The last `capacity` keys set, each with a value; setting one more forgets the oldest. It bounds
 * what the server remembers of the messages it saw: handled ids (`dedupeWindow`), poison messages,
 * delivery counts.
 */
export class RecentMap<V> {
  private readonly entries = new Map<string, V>();

  /** @param capacity Keys kept at most; 0 keeps none. */
  constructor(readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** Sets `key` to `value` as the newest key, forgetting the oldest beyond `capacity`. */
  set(key: string, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

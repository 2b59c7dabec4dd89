/** A bounded, append-only log that keeps the newest `capacity` items: a twin's memory must not grow with uptime. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private size = 0;
  /** Items ever pushed, including those that fell out. */
  total = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`ring capacity must be a positive integer, got ${capacity}`);
    this.items = new Array<T | undefined>(capacity);
  }

  get length(): number {
    return this.size;
  }

  /** Appends an item, dropping the oldest when full. */
  push(item: T): void {
    const capacity = this.items.length;
    if (this.size < capacity) {
      this.items[(this.start + this.size) % capacity] = item;
      this.size++;
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % capacity;
    }
    this.total++;
  }

  /** The kept items, oldest first, that satisfy `keep`. */
  filter(keep: (item: T) => boolean = () => true): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.size; i++) {
      const item = this.items[(this.start + i) % this.items.length] as T;
      if (keep(item)) out.push(item);
    }
    return out;
  }

  /** The newest `count` items, oldest first. */
  newest(count: number): T[] {
    const take = Math.max(0, Math.min(count, this.size));
    const out: T[] = [];
    for (let i = this.size - take; i < this.size; i++) out.push(this.items[(this.start + i) % this.items.length] as T);
    return out;
  }
}

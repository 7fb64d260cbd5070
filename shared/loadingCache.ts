import { LRUCache } from 'lru-cache';

interface LoadingCacheOptions<V> {
  /** Most entries kept (least recently used go first). */
  max: number;
  /** Longest an entry is trusted, in ms: the safety net should an invalidation be lost. */
  ttlMs: number;
  /** Bytes an entry weighs, to bound the cache by size as well (optional). */
  sizeOf?: (value: V) => number;
  /** Most bytes kept when `sizeOf` is given. */
  maxBytes?: number;
}

/**
 * A read-through cache that events keep honest: `get` loads on a miss (one load per key at a time,
 * however many callers ask at once), `invalidate` drops a key. A load that was already under way when
 * its key was invalidated is answered but not kept — otherwise a read that started before a change
 * could store the old value after the change's invalidation, and serve it until the TTL.
 * Misses (the loader's `undefined`) are not kept, so a spray of unknown keys cannot evict real entries.
 */
export class LoadingCache<K extends string, V extends object> {
  private readonly entries: LRUCache<K, V>;
  /** Loads under way; an invalidation removes the key's, so the load can tell it was overtaken. */
  private readonly loading = new Map<K, Promise<V | undefined>>();

  constructor(options: LoadingCacheOptions<V>) {
    this.entries = new LRUCache<K, V>({
      max: options.max,
      ttl: options.ttlMs,
      ...(options.sizeOf ? { sizeCalculation: (value: V) => Math.max(1, options.sizeOf!(value)), maxSize: options.maxBytes } : {}),
    });
  }

  /** The cached value, or the loader's (kept unless the key was invalidated meanwhile). */
  async get(key: K, load: () => Promise<V | undefined>): Promise<V | undefined> {
    const cached = this.entries.get(key);
    if (cached) return cached;
    const pending = this.loading.get(key);
    if (pending) return pending;
    const loaded: Promise<V | undefined> = load().then(
      (value) => {
        const current = this.loading.get(key) === loaded;
        if (current) this.loading.delete(key);
        if (current && value) this.entries.set(key, value);
        return value;
      },
      (error: unknown) => {
        if (this.loading.get(key) === loaded) this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, loaded);
    return loaded;
  }

  /** Forgets the key, and any load of it under way. */
  invalidate(key: K): void {
    this.entries.delete(key);
    this.loading.delete(key);
  }
}

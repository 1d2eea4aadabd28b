import pLimit, { type LimitFunction } from 'p-limit'

/** Runs `fn` for one key at a time, in call order; different keys run concurrently. */
export type KeyedLock = <T>(key: string, fn: () => Promise<T>) => Promise<T>

/** A keyed mutex: one p-limit(1) queue per key, dropped once idle so the map does not grow with every key ever used. */
export function createKeyedLock (): KeyedLock {
  const queues = new Map<string, LimitFunction>()
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    let queue = queues.get(key)
    if (queue === undefined) {
      queue = pLimit(1)
      queues.set(key, queue)
    }
    const q = queue
    try {
      return await q(fn)
    } finally {
      if (q.activeCount === 0 && q.pendingCount === 0 && queues.get(key) === q) queues.delete(key)
    }
  }
}

import { AppError } from '../../lib/errors.js'

/**
 * One bot's serial queue: its work runs one item at a time, in arrival order, so a machine never sees
 * two events at once. This is the seam a scale-out replaces: on BullMQ the same items become jobs of one
 * group per bot (concurrency 1), and `run` is what the worker calls.
 *
 * Coalescing keeps memory bounded under a burst: an item pushed with a key replaces the pending item
 * with that key (it keeps its place in line). Prices use it — a bot that falls behind sees the newest
 * price of a symbol, not a backlog of stale ones.
 */

type Waiter = { resolve: () => void; reject: (err: unknown) => void }
type Slot<T> = { item: T; key: string | undefined; waiters: Waiter[] | undefined }

export type BotQueue<T> = {
  /** Queues an item; with `coalesceKey`, replaces a pending item of the same key instead. */
  push(item: T, coalesceKey?: string): void
  /** Queues an item and resolves once it ran (rejects when `run` threw or the queue closed first). */
  pushAndWait(item: T): Promise<void>
  /** Drops what is pending (their waiters get CONFLICT) and resolves after the running item finished. */
  close(reason: string): Promise<void>
  /** Resolves when nothing is pending or running. */
  idle(): Promise<void>
  readonly size: number
  readonly isClosed: boolean
}

export const createBotQueue = <T>(run: (item: T) => Promise<void>): BotQueue<T> => {
  let slots: Slot<T>[] = []
  const byKey = new Map<string, Slot<T>>()
  let running: Promise<void> | null = null
  let isClosed = false
  let idleWaiters: Array<() => void> = []

  const drain = async () => {
    while (slots.length > 0 && !isClosed) {
      const slot = slots.shift() as Slot<T>
      if (slot.key !== undefined) byKey.delete(slot.key)
      try {
        await run(slot.item)
        for (const w of slot.waiters ?? []) w.resolve()
      } catch (err) {
        for (const w of slot.waiters ?? []) w.reject(err)
      }
    }
    running = null
    const waiters = idleWaiters
    idleWaiters = []
    for (const w of waiters) w()
  }

  const kick = () => {
    if (running === null && !isClosed) running = drain()
  }

  const enqueue = (item: T, key: string | undefined, waiter: Waiter | undefined) => {
    if (isClosed) {
      waiter?.reject(new AppError('CONFLICT', 'the bot is no longer running here: its event was not applied'))
      return
    }
    const pending = key === undefined ? undefined : byKey.get(key)
    if (pending !== undefined) {
      pending.item = item
      if (waiter !== undefined) (pending.waiters ??= []).push(waiter)
    } else {
      const slot: Slot<T> = { item, key, waiters: waiter === undefined ? undefined : [waiter] }
      slots.push(slot)
      if (key !== undefined) byKey.set(key, slot)
    }
    kick()
  }

  return {
    push: (item, coalesceKey) => enqueue(item, coalesceKey, undefined),
    pushAndWait: (item) => new Promise<void>((resolve, reject) => enqueue(item, undefined, { resolve, reject })),
    close: async (reason) => {
      isClosed = true
      const dropped = slots
      slots = []
      byKey.clear()
      for (const slot of dropped) for (const w of slot.waiters ?? []) w.reject(new AppError('CONFLICT', `the bot stopped before its event was applied (${reason})`))
      if (running !== null) await running
    },
    idle: () => (running === null ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
    get size() {
      return slots.length
    },
    get isClosed() {
      return isClosed
    },
  }
}

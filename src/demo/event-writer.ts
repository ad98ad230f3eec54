import { AppError } from '../lib/errors.js'
import type { WriteItem } from './demo-store.js'

/**
 * The one writer of the demo event log. Engine steps are queued in the order the engine produced them
 * and written by a single loop: whatever queued up while a transaction was in flight goes into the next
 * one (group commit). A step is never split across transactions, so each step is all-or-nothing, and
 * steps commit in engine order (the gap-free `seq` is checked on the way in).
 *
 * Nothing is dropped: `room()` tells the producer to wait while more than `maxPendingEvents` are queued
 * (the runtime then stops reading the feed, which stalls the source). A failed write fails every queued
 * step with UNAVAILABLE and calls `onFailure`: the engine in memory is then ahead of the database and
 * must be rebuilt from it before anything else runs.
 */

type Waiter = { resolve: () => void; reject: (err: Error) => void }
type Entry = { item: WriteItem; waiter: Waiter | undefined; count: number }

export type EventWriterInput = {
  write: (items: readonly WriteItem[]) => Promise<void>
  onFailure: (err: unknown) => void
  /** Backpressure bound: queued events beyond this make `room()` wait (default 20,000). */
  maxPendingEvents?: number
  /** Events per transaction at most (whole steps; default 10,000). */
  maxBatchEvents?: number
}

export const createEventWriter = ({ write, onFailure, maxPendingEvents = 20_000, maxBatchEvents = 10_000 }: EventWriterInput) => {
  let queue: Entry[] = []
  let pendingEvents = 0
  let isBusy = false
  let nextSeq = 1
  let enqueued = 0
  let processed = 0
  let barriers: { target: number; resolve: () => void }[] = []
  let roomWaiters: (() => void)[] = []

  const settleBarriers = () => {
    const due = barriers.filter((b) => b.target <= processed)
    if (due.length === 0) return
    barriers = barriers.filter((b) => b.target > processed)
    for (const b of due) b.resolve()
  }

  const wakeRoom = () => {
    if (pendingEvents > maxPendingEvents / 2 || roomWaiters.length === 0) return
    const waiters = roomWaiters
    roomWaiters = []
    for (const w of waiters) w()
  }

  const pump = async () => {
    isBusy = true
    while (queue.length > 0) {
      let events = 0
      let n = 0
      while (n < queue.length && (n === 0 || events + (queue[n] as Entry).count <= maxBatchEvents)) events += (queue[n++] as Entry).count
      const batch = queue.slice(0, n)
      queue = queue.slice(n)
      try {
        await write(batch.map((e) => e.item))
        pendingEvents -= events
        processed += batch.length
        for (const e of batch) e.waiter?.resolve()
      } catch (err) {
        const failed = [...batch, ...queue]
        queue = []
        pendingEvents = 0
        processed += failed.length
        const failure = new AppError('UNAVAILABLE', 'the demo exchange could not save this change, so it did not happen: try again shortly', { cause: err })
        for (const e of failed) e.waiter?.reject(failure)
        onFailure(err)
      }
      settleBarriers()
      wakeRoom()
    }
    isBusy = false
    settleBarriers()
    wakeRoom()
  }

  /** Queues one step; `waiter` hears when it committed (or failed). Steps must come in seq order. */
  const enqueue = (item: WriteItem, waiter?: Waiter): void => {
    const first = item.events[0]
    if (first !== undefined) {
      if (first.seq !== nextSeq) throw new Error(`demo event writer: expected seq ${nextSeq}, got ${first.seq} (bug)`)
      nextSeq = (item.events[item.events.length - 1] as { seq: number }).seq + 1
    }
    queue.push({ item, waiter, count: Math.max(1, item.events.length) })
    pendingEvents += Math.max(1, item.events.length)
    enqueued++
    if (!isBusy) void pump()
  }

  /** Queues a step and resolves once it is committed. @throws AppError UNAVAILABLE when the write failed */
  const write1 = (item: WriteItem): Promise<void> => new Promise((resolve, reject) => enqueue(item, { resolve, reject }))

  /** Undefined while there is room; else resolves once the queue has drained to half the bound. */
  const room = (): Promise<void> | undefined => (pendingEvents <= maxPendingEvents ? undefined : new Promise<void>((resolve) => roomWaiters.push(resolve)))

  /** Resolves once everything queued before this call was written (or failed). */
  const barrier = (): Promise<void> => {
    if (processed >= enqueued) return Promise.resolve()
    return new Promise((resolve) => barriers.push({ target: enqueued, resolve }))
  }

  /** The seq the next step must start with (after start or a rebuild from the database). */
  const reset = (seq: number): void => {
    if (queue.length > 0 || isBusy) throw new Error('demo event writer: reset while writing (bug)')
    nextSeq = seq
  }

  return { enqueue, write: write1, room, barrier, reset, pendingEvents: () => pendingEvents, isIdle: () => !isBusy && queue.length === 0 }
}
export type EventWriter = ReturnType<typeof createEventWriter>

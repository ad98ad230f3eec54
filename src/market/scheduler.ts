import type { Clock } from '../lib/clock.js'
import { AppError } from '../lib/errors.js'

/**
 * Where the sources get wall time from, so nothing in market/ reads Date.now(): pacing (replay ×1, ×60)
 * and live polling sleep on an injected scheduler. Data time never comes from here — it comes from the
 * data. Tests use the manual scheduler and move it by hand.
 */
export type Scheduler = {
  /** Milliseconds on the scheduler's timeline. */
  now: () => number
  /** Resolves after `ms` on that timeline, or at once when `signal` aborts (never rejects). */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>
}

/** Real timers, with time read from the injected clock. */
export const createTimerScheduler = (clock: Clock): Scheduler => ({
  now: () => clock.now().getTime(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve()
      const done = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, Math.max(0, ms))
      signal?.addEventListener('abort', done, { once: true })
    }),
})

/** Lets timers and I/O run between long synchronous stretches. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A scheduler that moves only when told to (tests, deterministic runs). */
export const createManualScheduler = (startMs = 0) => {
  let current = startMs
  type Sleeper = { due: number; order: number; resolve: () => void }
  let sleepers: Sleeper[] = []
  let order = 0

  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve()
      const sleeper: Sleeper = {
        due: current + Math.max(0, ms),
        order: order++,
        resolve: () => {
          signal?.removeEventListener('abort', abort)
          resolve()
        },
      }
      const abort = () => {
        sleepers = sleepers.filter((s) => s !== sleeper)
        sleeper.resolve()
      }
      signal?.addEventListener('abort', abort, { once: true })
      sleepers.push(sleeper)
    })

  /** Moves time forward, waking sleepers in due order and letting each one run before the next. */
  const advance = async (ms: number) => {
    const target = current + ms
    for (;;) {
      await yieldToEventLoop()
      const next = sleepers.filter((s) => s.due <= target).sort((a, b) => a.due - b.due || a.order - b.order)[0]
      if (!next) break
      sleepers = sleepers.filter((s) => s !== next)
      current = Math.max(current, next.due)
      next.resolve()
    }
    current = target
    await yieldToEventLoop()
  }

  return { now: () => current, sleep, advance, pendingSleepers: () => sleepers.length }
}
export type ManualScheduler = ReturnType<typeof createManualScheduler>

/** ×1 is real time, ×60 a minute per second, 'max' as fast as the subscribers read. */
export type ReplaySpeed = number | 'max'

export const checkSpeed = (speed: ReplaySpeed): void => {
  if (speed === 'max') return
  if (typeof speed !== 'number' || !Number.isFinite(speed) || speed <= 0 || speed > 1_000_000) {
    throw new AppError('BAD_INPUT', `speed must be a number above 0 and at most 1000000, or "max"; got ${String(speed)}`)
  }
}

/**
 * Spaces events by their data time divided by the speed, anchored at the first event so pacing error
 * does not accumulate. At 'max', and whenever it falls behind, it still yields to the event loop now and
 * then so timers and I/O are not starved.
 */
export const createPacer = (scheduler: Scheduler, speed: ReplaySpeed) => {
  checkSpeed(speed)
  let anchor: { wall: number; data: number } | null = null
  let sinceYield = 0
  const wait = (dataTime: number, signal: AbortSignal): Promise<void> | undefined => {
    if (speed !== 'max') {
      if (anchor === null) anchor = { wall: scheduler.now(), data: dataTime }
      const aheadMs = anchor.wall + (dataTime - anchor.data) / speed - scheduler.now()
      if (aheadMs >= 1) {
        sinceYield = 0
        return scheduler.sleep(aheadMs, signal)
      }
    }
    if (++sinceYield >= 4096) {
      sinceYield = 0
      return yieldToEventLoop()
    }
    return undefined
  }
  /** Restarts the anchor, e.g. after a switch of source. */
  const reset = () => {
    anchor = null
  }
  return { wait, reset }
}

import type { Clock } from '../../lib/clock.js'
import type { Logger } from '../../lib/logger.js'
import { createWakeHeap, type WakeEntry } from './wake-heap.js'

/**
 * The runtime's sense of time: periodic tasks (renew, heartbeat, claim, poll, reconcile) and the bots'
 * wakes, all due by the injected clock, with one timer armed for the soonest. Tests pass timers that never
 * fire, move the clock and call `runDue` themselves — the same code path, no test branch.
 */

export type Timers = { setTimeout: (fn: () => void, ms: number) => unknown; clearTimeout: (handle: unknown) => void }

export const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

export type TaskSpec = { name: string; everyMs: number; run: () => Promise<unknown> }
type Task = TaskSpec & { due: number; inflight: Promise<void> | null }

/** A far wake or a clock that jumps is never waited out on one long timer. */
const maxDelayMs = 60_000

export const createSchedule = (deps: { clock: Clock; timers: Timers; logger?: Pick<Logger, 'error'> | undefined; tasks: TaskSpec[]; onWakes: (due: WakeEntry[], now: number) => void }) => {
  const { clock, timers, logger } = deps
  const tasks: Task[] = deps.tasks.map((t) => ({ ...t, due: 0, inflight: null }))
  const wakes = createWakeHeap()
  let timer: { handle: unknown; due: number } | null = null
  let isActive = false

  const runTask = (t: Task): Promise<void> => {
    // A slow round (a venue timing out) is not stacked on: the next one starts after it.
    t.inflight ??= t
      .run()
      .then(() => undefined)
      .catch((err: unknown) => logger?.error({ task: t.name, err }, 'bot runtime task failed'))
      .finally(() => {
        t.inflight = null
      })
    return t.inflight
  }

  const reschedule = () => {
    if (!isActive) return
    const due = Math.min(...tasks.map((t) => t.due), wakes.next() ?? Infinity)
    if (timer !== null && timer.due <= due) return
    if (timer !== null) timers.clearTimeout(timer.handle)
    const delay = Math.min(Math.max(0, due - clock.now().getTime()), maxDelayMs)
    timer = {
      due,
      handle: timers.setTimeout(() => {
        timer = null
        runDue()
      }, delay),
    }
  }

  /** Starts whatever is due and hands over due wakes; returns the started tasks (the timer does not wait for them). */
  const runDue = (): Promise<void>[] => {
    if (!isActive) return []
    const now = clock.now().getTime()
    const started: Promise<void>[] = []
    for (const t of tasks) {
      if (t.due > now) continue
      t.due = now + t.everyMs
      started.push(runTask(t))
    }
    const due = wakes.takeDue(now)
    if (due.length > 0) deps.onWakes(due, now)
    reschedule()
    return started
  }

  return {
    /** Every task first comes due one period from now. */
    start: () => {
      isActive = true
      const now = clock.now().getTime()
      for (const t of tasks) t.due = now + t.everyMs
      reschedule()
    },
    /** Stops the timer; resolves when the tasks still running have finished. */
    stop: async () => {
      isActive = false
      if (timer !== null) timers.clearTimeout(timer.handle)
      timer = null
      await Promise.all(tasks.map((t) => t.inflight))
    },
    runDue,
    armWake: (entry: WakeEntry) => {
      wakes.push(entry)
      reschedule()
    },
  }
}
export type Schedule = ReturnType<typeof createSchedule>

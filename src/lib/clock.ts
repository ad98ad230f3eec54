/** Injected wherever time matters, so tests and the demo engine are deterministic. */
export type Clock = { now: () => Date }

export const systemClock: Clock = { now: () => new Date() }

/** A clock that only moves when told to (tests, replays). */
export const createManualClock = (start: Date | string | number) => {
  let current = new Date(start).getTime()
  return {
    now: () => new Date(current),
    advance: (ms: number) => {
      current += ms
    },
    set: (at: Date | string | number) => {
      current = new Date(at).getTime()
    },
  }
}
export type ManualClock = ReturnType<typeof createManualClock>

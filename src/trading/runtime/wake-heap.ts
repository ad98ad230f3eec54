/**
 * Pending wakes of every bot in one binary min-heap by time: arming is O(log n) and finding what is due
 * is O(1), with 10,000 bots each waiting on a timeout. Entries are hints: the bot's persisted wakes say
 * whether one is still wanted when it comes up.
 */
export type WakeEntry = { at: number; botId: string }

export const createWakeHeap = () => {
  const heap: WakeEntry[] = []
  const swap = (i: number, j: number) => {
    const t = heap[i] as WakeEntry
    heap[i] = heap[j] as WakeEntry
    heap[j] = t
  }
  const before = (i: number, j: number) => (heap[i] as WakeEntry).at < (heap[j] as WakeEntry).at

  const push = (entry: WakeEntry) => {
    heap.push(entry)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(i, parent)) break
      swap(i, parent)
      i = parent
    }
  }

  const pop = (): WakeEntry | undefined => {
    const top = heap[0]
    const last = heap.pop()
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < heap.length && before(l, m)) m = l
        if (r < heap.length && before(r, m)) m = r
        if (m === i) break
        swap(i, m)
        i = m
      }
    }
    return top
  }

  /** Removes and returns every entry due at `now`, soonest first. */
  const takeDue = (now: number): WakeEntry[] => {
    const due: WakeEntry[] = []
    while (heap.length > 0 && (heap[0] as WakeEntry).at <= now) due.push(pop() as WakeEntry)
    return due
  }

  return { push, takeDue, next: (): number | null => heap[0]?.at ?? null, size: () => heap.length }
}

/**
 * Items at integer price keys, sorted by key and, within one key, by `before` (time priority for orders,
 * a fixed identity order for positions, so the order never depends on how the index was rebuilt).
 * `min`/`max` are O(1), so a price update that crosses nothing costs two comparisons per index; a
 * crossing walk touches only the levels it crosses.
 */
export class PriceIndex<T> {
  private readonly keys: number[] = []
  private readonly levels = new Map<number, T[]>()
  private count = 0

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.count
  }

  /** Lowest key, +Infinity when empty (so hot-path comparisons need no emptiness branch). */
  min(): number {
    return this.keys.length === 0 ? Infinity : (this.keys[0] as number)
  }

  /** Highest key, -Infinity when empty. */
  max(): number {
    return this.keys.length === 0 ? -Infinity : (this.keys[this.keys.length - 1] as number)
  }

  add(key: number, item: T): void {
    let level = this.levels.get(key)
    if (level === undefined) {
      level = []
      this.levels.set(key, level)
      this.keys.splice(lowerBound(this.keys, key), 0, key)
    }
    let lo = 0
    let hi = level.length
    // New orders usually go last; check the tail before searching.
    if (hi > 0 && !this.before(item, level[hi - 1] as T)) lo = hi
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.before(item, level[mid] as T)) hi = mid
      else lo = mid + 1
    }
    level.splice(lo, 0, item)
    this.count++
  }

  remove(key: number, item: T): boolean {
    const level = this.levels.get(key)
    if (level === undefined) return false
    const i = level.indexOf(item)
    if (i < 0) return false
    level.splice(i, 1)
    this.count--
    if (level.length === 0) {
      this.levels.delete(key)
      this.keys.splice(lowerBound(this.keys, key), 1)
    }
    return true
  }

  /** Items at keys ≥ threshold: highest key first, each level in `before` order. */
  atOrAbove(threshold: number): T[] {
    const out: T[] = []
    for (let i = this.keys.length - 1; i >= 0; i--) {
      const key = this.keys[i] as number
      if (key < threshold) break
      for (const item of this.levels.get(key) as T[]) out.push(item)
    }
    return out
  }

  /** Items at keys ≤ threshold: lowest key first, each level in `before` order. */
  atOrBelow(threshold: number): T[] {
    const out: T[] = []
    for (let i = 0; i < this.keys.length; i++) {
      const key = this.keys[i] as number
      if (key > threshold) break
      for (const item of this.levels.get(key) as T[]) out.push(item)
    }
    return out
  }
}

const lowerBound = (xs: number[], x: number): number => {
  let lo = 0
  let hi = xs.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((xs[mid] as number) < x) lo = mid + 1
    else hi = mid
  }
  return lo
}

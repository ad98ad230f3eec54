import { describe, expect, it } from 'vitest'
import { PriceIndex } from './price-index.js'

type Item = { id: string; rank: number }
const item = (id: string, rank: number): Item => ({ id, rank })
const ids = (xs: Item[]) => xs.map((x) => x.id)

describe('price index', () => {
  it('walks only the crossed levels, best price first, time priority within a level', () => {
    const idx = new PriceIndex<Item>((a, b) => a.rank < b.rank)
    const late = item('late', 5)
    idx.add(100, late)
    idx.add(100, item('early', 1)) // inserted after, ranked before
    idx.add(105, item('top', 3))
    idx.add(90, item('low', 2))
    expect([idx.min(), idx.max(), idx.size]).toEqual([90, 105, 4])
    expect(ids(idx.atOrAbove(100))).toEqual(['top', 'early', 'late'])
    expect(ids(idx.atOrBelow(100))).toEqual(['low', 'early', 'late'])
    expect(ids(idx.atOrAbove(106))).toEqual([])
    expect(idx.remove(100, late)).toBe(true)
    expect(idx.remove(100, late)).toBe(false)
    expect(ids(idx.atOrBelow(Infinity))).toEqual(['low', 'early', 'top'])
  })

  it('reports ±Infinity when empty, so a hot-path comparison never crosses', () => {
    const idx = new PriceIndex<Item>((a, b) => a.rank < b.rank)
    const x = item('x', 1)
    idx.add(7, x)
    idx.remove(7, x)
    expect([idx.min(), idx.max(), idx.size]).toEqual([Infinity, -Infinity, 0])
  })
})

import { describe, expect, it } from 'vitest'
import { createBotQueue } from './bot-queue.js'
import { isNews, nextWakes } from './runtime-state.js'
import { createWakeHeap } from './wake-heap.js'

const gate = () => {
  let open = () => {}
  const opened = new Promise<void>((resolve) => (open = resolve))
  return { opened, open }
}

describe('bot queue', () => {
  it('runs one item at a time, in order', async () => {
    const log: string[] = []
    let running = 0
    const first = gate()
    const q = createBotQueue<string>(async (item) => {
      running += 1
      expect(running).toBe(1)
      log.push(`start ${item}`)
      if (item === 'a') await first.opened
      log.push(`end ${item}`)
      running -= 1
    })
    q.push('a')
    q.push('b')
    const c = q.pushAndWait('c')
    await Promise.resolve()
    expect(log).toEqual(['start a'])
    first.open()
    await c
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
  })

  it('replaces a pending item of the same coalescing key, keeping its place', async () => {
    const seen: string[] = []
    const hold = gate()
    const q = createBotQueue<string>(async (item) => {
      if (item === 'busy') await hold.opened
      seen.push(item)
    })
    q.push('busy')
    q.push('p1', 'price:BTC')
    q.push('signal')
    q.push('p2', 'price:BTC')
    q.push('e1', 'price:ETH')
    expect(q.size).toBe(3)
    hold.open()
    await q.idle()
    expect(seen).toEqual(['busy', 'p2', 'signal', 'e1'])
  })

  it('rejects what is pending when closed, after the running item finished', async () => {
    const hold = gate()
    const done: string[] = []
    const q = createBotQueue<string>(async (item) => {
      await hold.opened
      done.push(item)
    })
    const running = q.pushAndWait('running')
    const pending = q.pushAndWait('pending')
    const closed = q.close('paused by a user')
    hold.open()
    await closed
    await running
    await expect(pending).rejects.toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/paused by a user/) })
    await expect(q.pushAndWait('late')).rejects.toMatchObject({ code: 'CONFLICT' })
    expect(done).toEqual(['running'])
  })

  it('rejects the waiter of an item that threw and goes on with the next', async () => {
    const q = createBotQueue<string>(async (item) => {
      if (item === 'bad') throw new Error('bad item')
    })
    await expect(q.pushAndWait('bad')).rejects.toThrow('bad item')
    await expect(q.pushAndWait('good')).resolves.toBeUndefined()
  })
})

describe('runtime state helpers', () => {
  it('counts an order update as news only when it moved on', () => {
    expect(isNews({ state: 'sent', filled: '0' }, undefined)).toBe(false) // the journal's own step
    expect(isNews({ state: 'acknowledged', filled: '0' }, undefined)).toBe(true)
    expect(isNews({ state: 'acknowledged', filled: '0' }, { state: 'acknowledged', filled: '0' })).toBe(false)
    expect(isNews({ state: 'partially_filled', filled: '0.5' }, { state: 'partially_filled', filled: '0.25' })).toBe(true)
    expect(isNews({ state: 'acknowledged', filled: '0' }, { state: 'partially_filled', filled: '0.25' })).toBe(false) // a late echo
    expect(isNews({ state: 'filled', filled: '1' }, { state: 'filled', filled: '1' })).toBe(false)
  })

  it('keeps pending wakes sorted, drops fired ones and merges new ones', () => {
    expect(nextWakes([100, 300], 150, [{ type: 'wake', at: 200 }, { type: 'wake', at: 300 }, { type: 'alert', rule: 'x', severity: 'info', details: {} }])).toEqual([200, 300])
  })

  it('hands out due wakes soonest first', () => {
    const heap = createWakeHeap()
    for (const at of [50, 10, 40, 20, 30]) heap.push({ at, botId: `b${at}` })
    expect(heap.takeDue(35).map((e) => e.at)).toEqual([10, 20, 30])
    expect(heap.next()).toBe(40)
    expect(heap.size()).toBe(2)
  })
})

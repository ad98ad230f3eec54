import { describe, expect, it } from 'vitest'
import { emptySmartTradeDraft, type SmartTradeDraft } from '../trading/smart-trade-draft'
import { draftLines, dragPatch, entryReference } from './draft-lines'

const market = { last: '50000', tickSize: '0.01' }

const draft = (patch: Partial<SmartTradeDraft>): SmartTradeDraft => ({ ...emptySmartTradeDraft('demo:a'), symbol: 'BTC/USDT', ...patch })

const twoTargetsAndStop = draft({
  targets: [
    { mode: 'percent', value: '2', share: '50' },
    { mode: 'price', value: '52000', share: '50' },
  ],
  stopMode: 'percent',
  stopValue: '3',
})

const summary = (lines: ReturnType<typeof draftLines>) => lines.map((line) => [line.id, Math.round(line.price * 100) / 100, line.label, line.isDraggable])

describe('the form as lines', () => {
  it('measures from the last price for a market entry, which cannot be dragged', () => {
    expect(entryReference(twoTargetsAndStop, '50000')).toBe(50_000)
    expect(summary(draftLines(twoTargetsAndStop, market))).toEqual([
      ['entry', 50_000, 'Entry (market)', false],
      ['tp1', 51_000, 'TP1 +2 %', true], // 50000 × 1.02
      ['tp2', 52_000, 'TP2 +4 %', true], // (52000 − 50000) / 50000
      ['sl', 48_500, 'SL −3 %', true], // 50000 × 0.97
    ])
  })

  it('measures from the limit price of a limit entry', () => {
    const limit = { ...twoTargetsAndStop, entryType: 'limit' as const, entryPrice: '40000' }
    expect(summary(draftLines(limit, market))).toEqual([
      ['entry', 40_000, 'Entry', true],
      ['tp1', 40_800, 'TP1 +2 %', true], // 40000 × 1.02
      ['tp2', 52_000, 'TP2 +30 %', true], // (52000 − 40000) / 40000
      ['sl', 38_800, 'SL −3 %', true], // 40000 × 0.97
    ])
  })

  it('mirrors the exits of a short: targets below the entry, the stop above', () => {
    const short = { ...twoTargetsAndStop, symbol: 'BTC/USDT:USDT', direction: 'short' as const }
    expect(summary(draftLines(short, market)).slice(1, 4)).toEqual([
      ['tp1', 49_000, 'TP1 −2 %', true], // 50000 × 0.98
      ['tp2', 52_000, 'TP2 +4 %', true], // a price is a price, whichever side it is on
      ['sl', 51_500, 'SL +3 %', true], // 50000 × 1.03
    ])
  })

  it('draws a trigger and, when set, the limit price of a conditional entry', () => {
    const conditional = draft({ entryType: 'conditional', triggerPrice: '51000', triggerLimitPrice: '51100', stopMode: 'percent', stopValue: '1' })
    expect(summary(draftLines(conditional, market))).toEqual([
      ['trigger', 51_000, 'Trigger', true],
      ['entry', 51_100, 'Entry', true],
      ['sl', 50_589, 'SL −1 %', true], // measured from the limit price: 51100 × 0.99
    ])
  })

  it('leaves out what is not a number yet, and percentages with nothing to measure from', () => {
    const unfinished = draft({ targets: [{ mode: 'percent', value: '2,5', share: '' }, { mode: 'price', value: '53000', share: '' }], stopMode: 'percent', stopValue: '3' })
    expect(draftLines(unfinished, { last: null, tickSize: '0.01' }).map((line) => line.label)).toEqual(['TP2']) // no last price: no entry, no percentages
  })
})

describe('a dragged line as the form', () => {
  it('keeps a percentage target a percentage, measured from the entry', () => {
    const patch = dragPatch(twoTargetsAndStop, 'tp1', 51_234.56, market)
    expect(patch.targets?.map((target) => target.value)).toEqual(['2.47', '52000']) // (51234.56 − 50000) / 50000 = 2.469 %
    expect(patch.targets?.[0]?.mode).toBe('percent')
  })

  it('sets a price target to the dragged price, on the tick', () => {
    const patch = dragPatch(twoTargetsAndStop, 'tp2', 52_500.126, market)
    expect(patch.targets?.map((target) => target.value)).toEqual(['2', '52500.13'])
  })

  it('keeps a percentage stop on the losing side, and a short stop above the entry', () => {
    expect(dragPatch(twoTargetsAndStop, 'sl', 47_500, market)).toEqual({ stopValue: '5' }) // (50000 − 47500) / 50000
    expect(dragPatch(twoTargetsAndStop, 'sl', 51_000, market)).toEqual({ stopValue: '0.01' }) // dragged past the entry: stops there
    const short = { ...twoTargetsAndStop, symbol: 'BTC/USDT:USDT', direction: 'short' as const }
    expect(dragPatch(short, 'sl', 51_000, market)).toEqual({ stopValue: '2' })
    expect(dragPatch(short, 'tp1', 45_000, market).targets?.[0]?.value).toBe('10')
  })

  it('moves a limit entry, a trigger and a price stop to the tick', () => {
    expect(dragPatch(draft({ entryType: 'limit', entryPrice: '1' }), 'entry', 49_999.994, market)).toEqual({ entryPrice: '49999.99' })
    expect(dragPatch(draft({ entryType: 'conditional' }), 'trigger', 50_100.5, { ...market, tickSize: '1' })).toEqual({ triggerPrice: '50101' })
    expect(dragPatch(draft({ entryType: 'conditional' }), 'entry', 50_200, market)).toEqual({ triggerLimitPrice: '50200' })
    expect(dragPatch(draft({ stopMode: 'price', stopValue: '1' }), 'sl', 48_000.004, market)).toEqual({ stopValue: '48000' })
  })

  it('changes nothing for a market entry, an unknown line or a percentage with no entry', () => {
    expect(dragPatch(twoTargetsAndStop, 'entry', 49_000, market)).toEqual({})
    expect(dragPatch(twoTargetsAndStop, 'tp9', 49_000, market)).toEqual({})
    expect(dragPatch(twoTargetsAndStop, 'tp1', 51_000, { last: null, tickSize: '0.01' })).toEqual({})
  })
})

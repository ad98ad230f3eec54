import { describe, expect, it } from 'vitest'
import { botNameOf } from './channels-card'
import { fromLocalInput, isUuid } from './filter-values'
import { hygieneProblems } from './settings-draft'

describe('the key hygiene form', () => {
  it('sends whole numbers within the server limits', () => {
    expect(hygieneProblems({ rotationDays: '90', remindDaysBefore: '7', unusedDays: '30', retentionDays: '0' })).toEqual({
      problems: {},
      values: { rotationDays: 90, remindDaysBefore: 7, unusedDays: 30, retentionDays: 0 },
    })
  })

  it('names every field that is wrong and sends nothing', () => {
    const checked = hygieneProblems({ rotationDays: '3', remindDaysBefore: 'soon', unusedDays: '1.5', retentionDays: '9999' })
    expect(checked.values).toBeUndefined()
    expect(Object.keys(checked.problems).sort()).toEqual(['remindDaysBefore', 'retentionDays', 'rotationDays', 'unusedDays'])
  })

  it('wants the reminder before the rotation is due', () => {
    expect(hygieneProblems({ rotationDays: '10', remindDaysBefore: '10', unusedDays: '30', retentionDays: '0' }).problems.remindDaysBefore).toMatch(/before the rotation/)
  })
})

describe('filter values', () => {
  it('turn a local date-time into an instant, and ignore what is empty or invalid', () => {
    expect(fromLocalInput('')).toBeUndefined()
    expect(fromLocalInput('nonsense')).toBeUndefined()
    expect(fromLocalInput('2026-12-01T09:30')).toBe(new Date('2026-12-01T09:30').toISOString())
    expect(isUuid('6f1c1b36-4c55-4a4d-9a55-3c1d2d3e4f50')).toBe(true)
    expect(isUuid('6f1c1b36')).toBe(false)
  })
})

describe('the Telegram bot name', () => {
  it('comes from the t.me link, or not at all', () => {
    expect(botNameOf('https://t.me/bulwark_test_bot?start=ABC')).toBe('bulwark_test_bot')
    expect(botNameOf(undefined)).toBeUndefined()
    expect(botNameOf('https://t.me/a/b')).toBeUndefined()
  })
})

import { describe, expect, it } from 'vitest'
import { formatCheckName, formatCheckValue, listChecks, summarizeReadiness } from './readiness'

describe('readiness helpers', () => {
  it('turns check names and values into plain words', () => {
    expect(formatCheckName('database')).toBe('Database')
    expect(formatCheckName('share_store-2')).toBe('Share store 2')
    expect(formatCheckValue('ok')).toBe('OK')
    expect(formatCheckValue('not_configured')).toBe('not configured')
  })

  it('lists failing checks first, then by name', () => {
    const names = listChecks({ signer: 'ok', database: 'unreachable', cache: 'ok' }).map((check) => check.name)
    expect(names).toEqual(['database', 'cache', 'signer'])
  })

  it('names the one failing check when the server is not ready', () => {
    expect(summarizeReadiness(false, { database: 'unreachable' })).toEqual({
      tone: 'bad',
      title: 'Not ready',
      detail: 'Database: unreachable.',
    })
  })

  it('counts failing checks when several fail, and passing checks when ready', () => {
    expect(summarizeReadiness(false, { database: 'unreachable', signer: 'sealed' }).detail).toBe(
      '2 checks need attention: Database, Signer.',
    )
    expect(summarizeReadiness(true, { database: 'ok', signer: 'ok' }).detail).toBe('All 2 checks pass.')
  })

  it('trusts the status over the checks when they disagree', () => {
    expect(summarizeReadiness(false, { database: 'ok' }).title).toBe('Not ready')
  })
})

import { describe, expect, it } from 'vitest'
import { openSteps, parseSecurityScore, scoreTone, scoreWords } from './security-score'

const check = (id: string, done: boolean, weight: number, path = '/security') => ({ id, label: `${id} label`, done, weight, detail: `${id} detail`, fix: { label: `Fix ${id}`, path } })

describe('security score parser', () => {
  it('reads the score and its checks', () => {
    const parsed = parseSecurityScore({ score: 60, checks: [check('two_factor', true, 25), check('passkey', false, 15)] })
    expect(parsed.score).toBe(60)
    expect(parsed.checks[1]).toEqual({ id: 'passkey', label: 'passkey label', done: false, weight: 15, detail: 'passkey detail', fix: { label: 'Fix passkey', path: '/security' } })
  })

  it('keeps a check it does not know, and names the field that is wrong', () => {
    expect(parseSecurityScore({ score: 0, checks: [check('future_check', false, 5)] }).checks[0]?.id).toBe('future_check')
    expect(() => parseSecurityScore({ score: 60, checks: [{ ...check('x', true, 5), done: 'yes' }] })).toThrow(/done/)
    expect(() => parseSecurityScore({ checks: [] })).toThrow(/score/)
    expect(() => parseSecurityScore({ score: 140, checks: [] })).toThrow(/between 0 and 100/)
  })

  it('reads the workspace’s warnings beside the score, and none from a server that sends none', () => {
    const warning = {
      id: 'approvals_off',
      severity: 'warning',
      message: 'Four-eyes approvals are off in a workspace of 3 members.',
      members: [],
      fix: { label: 'Turn approvals on', path: '/policies' },
    }
    const limited = {
      ...warning,
      id: 'members_limited_by_two_factor',
      severity: 'info',
      members: [
        { userId: 'u1', displayName: 'Sam', email: 'sam@example.com' },
        { userId: 'u2', displayName: '', email: 'bo@example.com' },
      ],
      fix: { label: 'See the team', path: '/team' },
    }
    const parsed = parseSecurityScore({ score: 60, checks: [], warnings: [warning, limited] })
    expect(parsed.warnings).toEqual([
      { ...warning, members: [] },
      { ...limited, members: ['Sam', 'bo@example.com'] },
    ])
    expect(parseSecurityScore({ score: 60, checks: [] }).warnings).toEqual([])
    expect(() => parseSecurityScore({ score: 60, checks: [], warnings: [{ ...warning, fix: { label: 'x', path: 'https://evil.example' } }] })).toThrow(/dashboard path/)
    expect(() => parseSecurityScore({ score: 60, checks: [], warnings: [{ ...warning, severity: 'loud' }] })).toThrow(/severity/)
  })

  it('refuses a fix link that would leave the dashboard', () => {
    for (const path of ['javascript:alert(1)', '//evil.example/x', 'https://evil.example', '/security?x=1', '']) {
      expect(() => parseSecurityScore({ score: 10, checks: [check('x', false, 5, path)] }), path).toThrow(/dashboard path/)
    }
    expect(parseSecurityScore({ score: 10, checks: [check('x', false, 5, '/security-center')] }).checks[0]?.fix.path).toBe('/security-center')
  })

  it('lists the open steps, the most valuable first', () => {
    const score = parseSecurityScore({ score: 25, checks: [check('a', false, 5), check('b', true, 25), check('c', false, 15), check('d', false, 15)] })
    expect(openSteps(score).map((c) => c.id)).toEqual(['c', 'd', 'a'])
  })

  it('names the score in words and tones', () => {
    expect([0, 49, 50, 79, 80, 100].map((s) => [scoreTone(s), scoreWords(s)])).toEqual([
      ['danger', 'At risk'],
      ['danger', 'At risk'],
      ['warn', 'Partly protected'],
      ['warn', 'Partly protected'],
      ['ok', 'Well protected'],
      ['ok', 'Well protected'],
    ])
  })
})

import { describe, expect, it } from 'vitest'
import { documentTitle, isEmailLinkRoute, itemPathFor, matchRoute } from './router'

describe('the security center routes', () => {
  it('open each page by its path, and one incident by its id', () => {
    expect(matchRoute('/security-center')).toEqual({ name: 'securityCenter' })
    expect(matchRoute('/activity')).toEqual({ name: 'activity' })
    expect(matchRoute('/Audit/')).toEqual({ name: 'audit' })
    expect(matchRoute('/notifications')).toEqual({ name: 'notifications' })
    const id = '6f1c1b36-4c55-4a4d-9a55-3c1d2d3e4f50'
    expect(matchRoute(itemPathFor('incidents', id))).toEqual({ name: 'incidents', id })
    expect(matchRoute('/incidents/not-an-id').name).toBe('notFound')
    expect(documentTitle({ name: 'audit' })).toBe('Audit log · Bulwark')
  })

  it('keep the emailed-link pages and the locked-down page up whether or not someone is signed in', () => {
    expect(isEmailLinkRoute(matchRoute('/emergency-lockdown'))).toBe(true)
    expect(isEmailLinkRoute(matchRoute('/confirm-unlock'))).toBe(true)
    expect(isEmailLinkRoute(matchRoute('/locked-down'))).toBe(true)
    expect(isEmailLinkRoute(matchRoute('/incidents'))).toBe(false)
  })
})

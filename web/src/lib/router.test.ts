import { describe, expect, it } from 'vitest'
import { documentTitle, isEmailLinkRoute, isPlainLeftClick, mainNavEntry, matchRoute, pathFor, routePaths, tokenFromFragment } from './router'

const click = { button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false, defaultPrevented: false }

describe('the router', () => {
  it('finds every page from its own path', () => {
    for (const [name, path] of Object.entries(routePaths)) expect(matchRoute(path)).toEqual({ name })
  })

  it('ignores trailing slashes and letter case, and names unknown paths', () => {
    expect(matchRoute('/Security/')).toEqual({ name: 'security' })
    expect(matchRoute('')).toEqual({ name: 'home' })
    expect(matchRoute('//')).toEqual({ name: 'home' })
    expect(matchRoute('/security/extra')).toEqual({ name: 'notFound', path: '/security/extra' })
    expect(matchRoute('/api/me')).toEqual({ name: 'notFound', path: '/api/me' })
  })

  it('uses the paths the server puts in account emails', () => {
    expect(pathFor('verifyEmail')).toBe('/verify-email')
    expect(pathFor('resetPassword')).toBe('/reset-password')
    expect(pathFor('unlock')).toBe('/unlock')
    expect(pathFor('notMe')).toBe('/not-me')
    expect(pathFor('confirmEmail')).toBe('/confirm-email')
  })

  it('reads the token from the fragment only', () => {
    expect(tokenFromFragment('#token=abc_DEF-123')).toBe('abc_DEF-123')
    expect(tokenFromFragment('token=abc')).toBe('abc')
    expect(tokenFromFragment('#other=1&token=xyz')).toBe('xyz')
    expect(tokenFromFragment('#token=')).toBeUndefined()
    expect(tokenFromFragment('#token=%20%20')).toBeUndefined()
    expect(tokenFromFragment('')).toBeUndefined()
  })

  it('keeps the emailed-link pages apart from the rest', () => {
    expect(['/verify-email', '/reset-password', '/unlock', '/not-me', '/confirm-email'].every((path) => isEmailLinkRoute(matchRoute(path)))).toBe(true)
    expect(['/', '/sign-in', '/security', '/tokens', '/nope'].some((path) => isEmailLinkRoute(matchRoute(path)))).toBe(false)
  })

  it('titles pages for the browser tab', () => {
    expect(documentTitle({ name: 'home' })).toBe('Bulwark')
    expect(documentTitle({ name: 'tokens' })).toBe('API tokens · Bulwark')
    expect(documentTitle({ name: 'demo' })).toBe('Demo exchange · Bulwark')
    expect(documentTitle({ name: 'notFound', path: '/x' })).toBe('Page not found · Bulwark')
  })

  it('handles only plain left clicks in-app', () => {
    expect(isPlainLeftClick(click)).toBe(true)
    expect(isPlainLeftClick({ ...click, button: 1 })).toBe(false)
    expect(isPlainLeftClick({ ...click, ctrlKey: true })).toBe(false)
    expect(isPlainLeftClick({ ...click, metaKey: true })).toBe(false)
    expect(isPlainLeftClick({ ...click, shiftKey: true })).toBe(false)
    expect(isPlainLeftClick({ ...click, defaultPrevented: true })).toBe(false)
  })
})

describe('the main navigation', () => {
  it('marks the entry a page belongs to', () => {
    const id = '6f1c1b36-4c55-4a4d-9a55-3c1d2d3e4f50'
    expect(mainNavEntry(matchRoute('/'))).toBe('home')
    expect(mainNavEntry(matchRoute('/trade'))).toBe('trade')
    expect(mainNavEntry(matchRoute('/smart-trades'))).toBe('trade')
    expect(mainNavEntry(matchRoute(`/smart-trades/${id}`))).toBe('trade')
    expect(mainNavEntry(matchRoute(`/bots/${id}`))).toBe('bots')
    expect(mainNavEntry(matchRoute('/exchanges'))).toBe('exchanges')
    expect(mainNavEntry(matchRoute('/demo'))).toBe('demo')
    expect(mainNavEntry(matchRoute('/activity'))).toBe('activity')
    expect(mainNavEntry(matchRoute('/audit'))).toBe('audit')
    expect(mainNavEntry(matchRoute('/alerts'))).toBe('alerts')
    expect(mainNavEntry(matchRoute('/security-center'))).toBe('securityCenter')
    expect(mainNavEntry(matchRoute(`/incidents/${id}`))).toBe('securityCenter')
    for (const path of ['/settings', '/security', '/tokens', '/notifications']) expect(mainNavEntry(matchRoute(path))).toBe('settings')
  })

  it('gives the team pages their own entries, and the workspace policies to Settings', () => {
    expect(mainNavEntry(matchRoute('/team'))).toBe('team')
    expect(mainNavEntry(matchRoute('/approvals'))).toBe('approvals')
    expect(mainNavEntry(matchRoute('/policies'))).toBe('settings')
  })

  it('opens the invitation link like the other emailed links, signed in or not', () => {
    expect(pathFor('invite')).toBe('/invite')
    expect(isEmailLinkRoute(matchRoute('/invite'))).toBe(true)
    expect(mainNavEntry(matchRoute('/invite'))).toBeUndefined()
    expect(isEmailLinkRoute(matchRoute('/team'))).toBe(false)
  })

  it('marks nothing on pages outside it', () => {
    expect(mainNavEntry(matchRoute('/nope'))).toBeUndefined()
    expect(mainNavEntry(matchRoute('/verify-email'))).toBeUndefined()
    expect(mainNavEntry(matchRoute('/locked-down'))).toBeUndefined()
  })
})

import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { describe, expect, it } from 'vitest'
import { ConnectionState } from '../components/connection-state'
import { concerns, livePath, LiveProvider, liveTopics, topicsFromEvent, unreadFromLiveEvent, useLiveState, useLiveTopics } from './live-events'

describe('live events', () => {
  it('reads the topics of a changed event, dropping names it does not know and bad JSON', () => {
    expect([...topicsFromEvent('{"topics":["bots","orders"]}')]).toEqual(['bots', 'orders'])
    expect([...topicsFromEvent('{"topics":["bots","weather",3]}')]).toEqual(['bots'])
    expect(topicsFromEvent('{"topics":"bots"}').size).toBe(0)
    expect(topicsFromEvent('not json').size).toBe(0)
  })

  it('reads the unread count, refusing anything but a whole number from zero', () => {
    expect(unreadFromLiveEvent('{"count":3}')).toBe(3)
    expect(unreadFromLiveEvent('{"count":0}')).toBe(0)
    expect(unreadFromLiveEvent('{"count":-1}')).toBeUndefined()
    expect(unreadFromLiveEvent('{"count":1.5}')).toBeUndefined()
    expect(unreadFromLiveEvent('{"count":"2"}')).toBeUndefined()
    expect(unreadFromLiveEvent('{')).toBeUndefined()
  })

  it('concerns a page when one of its topics changed, and always after a (re)connect', () => {
    expect(concerns(new Set(['orders']), ['bots', 'orders'])).toBe(true)
    expect(concerns(new Set(['alerts']), ['bots', 'orders'])).toBe(false)
    expect(concerns('everything', ['lock'])).toBe(true)
    expect(concerns(new Set(liveTopics), [])).toBe(false)
  })

  it('streams from the workspace path, its id encoded', () => {
    expect(livePath('0b7c2a2e-5d7e-4d0c-9b1e-2f2f4a0e9d11')).toBe('/api/workspaces/0b7c2a2e-5d7e-4d0c-9b1e-2f2f4a0e9d11/live')
    expect(livePath('a/b')).toBe('/api/workspaces/a%2Fb/live')
  })

  it('shows the pill only inside a provider, as a polite status with words', () => {
    expect(renderToStaticMarkup(createElement(ConnectionState))).toBe('')
    const inside = renderToStaticMarkup(createElement(LiveProvider, { workspaceId: 'w', children: createElement(ConnectionState) }))
    expect(inside).toContain('role="status"')
    expect(inside).toContain('aria-live="polite"')
    expect(inside).toContain('Connecting…')
  })

  it('does nothing without a provider: the state says nothing is live and no topic is ever announced', () => {
    let state: string | undefined
    let calls = 0
    const Page = () => {
      state = useLiveState()
      useLiveTopics(['bots'], () => (calls += 1))
      return null
    }
    renderToStaticMarkup(createElement(Page))
    expect(state).toBe('unsupported')
    expect(calls).toBe(0)
  })
})

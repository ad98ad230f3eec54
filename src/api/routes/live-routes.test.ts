import { get, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js'
import { startAccountsApp, type AccountsApp } from '../../../test/support/accounts-app.js'
import { schema } from '../../db/index.js'
import { createWorkspaceChanges, liveTopics, type WorkspaceChanges } from '../../live/index.js'
import type { DemoRuntime } from '../../demo/index.js'
import { liveRoutes } from './live-routes.js'

type Session = { cookie: string; csrf: string }
type Event = { event: string; data: unknown }

/** Reads a server-sent event stream into `events` (comments and `retry:` skipped). */
const openStream = (url: string, cookie: string) =>
  new Promise<{ res: IncomingMessage; events: Event[]; close: () => void }>((resolve, reject) => {
    const req = get(url, { headers: { cookie, accept: 'text/event-stream' } }, (res) => {
      const events: Event[] = []
      let buffer = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffer += chunk
        let at: number
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at)
          buffer = buffer.slice(at + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) })
        }
      })
      resolve({ res, events, close: () => req.destroy() })
    })
    req.on('error', reject)
  })

const SPOT = 'BTC/USDT'

describe.each(backends)('the live stream on %s', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  let changes: WorkspaceChanges
  let base: string
  let owner: Session
  let ws: string
  let demo: DemoRuntime

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    t = await startAccountsApp(database, {
      trading: true,
      routes: (h) => {
        changes = createWorkspaceChanges({ db: h.db, pollMs: 100 })
        return [(app) => liveRoutes(app, { db: h.db, sessions: h.accounts.sessions, apiTokens: h.accounts.apiTokens, changes })]
      },
    })
    demo = t.demo as DemoRuntime
    ws = (await t.addUser('owner@example.com')).workspaceId
    const s = await t.signIn('owner@example.com')
    owner = { cookie: s.cookie, csrf: s.csrf }
    await t.app.listen({ port: 0, host: '127.0.0.1' })
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    changes?.close()
    await t?.close()
    await database?.dispose()
  })

  const path = (p: string) => `/api/workspaces/${ws}${p}`
  const send = (method: 'POST' | 'PATCH' | 'DELETE', p: string, body?: unknown) => t.call(method, path(p), owner, body)
  /** The topics of every `changed` event from `from` on. */
  const changedSince = (events: Event[], from: number) => new Set(events.slice(from).flatMap((e) => (e.event === 'changed' ? (e.data as { topics: string[] }).topics : [])))

  it('says hello with the topic list, then names what changed: demo orders and balances, bots, alerts, the kill switch and the lock', async () => {
    const s = await openStream(`${base}${path('/live')}`, owner.cookie)
    expect(s.res.statusCode).toBe(200)
    expect(s.res.headers['content-type']).toMatch(/^text\/event-stream/)
    expect(s.res.headers['cache-control']).toBe('no-store')
    await expect.poll(() => s.events.map((e) => e.event)).toEqual(['hello', 'unread'])
    expect(s.events[0]?.data).toEqual({ topics: [...liveTopics] })
    expect(s.events[1]?.data).toEqual({ count: 0 })

    // A demo account and a resting order on it: the accounts, then its orders and balances.
    let mark = s.events.length
    const account = await send('POST', '/demo/accounts', { name: 'Paper', kind: 'spot' })
    expect(account.statusCode).toBe(201)
    const accountId = account.json<{ id: string }>().id
    await expect.poll(() => changedSince(s.events, mark).has('accounts')).toBe(true)
    await demo.ingest({ symbol: SPOT, price: '50000', amount: '5', time: t.clock.now().getTime() })
    await demo.barrier()
    mark = s.events.length
    expect((await send('POST', `/demo/accounts/${accountId}/orders`, { symbol: SPOT, type: 'limit', side: 'buy', amount: '0.01', price: '40000' })).statusCode).toBe(201)
    await expect.poll(() => [...changedSince(s.events, mark)].filter((x) => x === 'orders' || x === 'balances').sort()).toEqual(['balances', 'orders'])
    expect(changedSince(s.events, mark).has('bots')).toBe(false)

    // A bot created and started.
    mark = s.events.length
    const bot = await send('POST', '/signal-bots', { name: 'TV', demoAccountId: accountId, config: { symbols: [SPOT], sizing: { kind: 'base', amount: '0.01' }, source: { kind: 'webhook' } } })
    expect(bot.statusCode).toBe(201)
    const botId = bot.json<{ bot: { id: string } }>().bot.id
    await expect.poll(() => changedSince(s.events, mark).has('bots')).toBe(true)
    mark = s.events.length
    expect((await send('POST', `/bots/${botId}/start`)).json()).toMatchObject({ status: 'running' })
    await expect.poll(() => changedSince(s.events, mark).has('bots')).toBe(true)

    // A bot stopped by another process (no request here: only the poller can see it).
    mark = s.events.length
    await database.db.update(schema.bots).set({ status: 'paused', statusReason: 'elsewhere', updatedAt: t.clock.now() }).where(eq(schema.bots.id, botId))
    await expect.poll(() => changedSince(s.events, mark).has('bots')).toBe(true)

    // An alert: the topic and the new unread count.
    mark = s.events.length
    await t.alerts.raise({ workspaceId: ws, rule: 'key_removed', severity: 'warning' })
    await expect.poll(() => changedSince(s.events, mark).has('alerts')).toBe(true)
    expect(s.events.slice(mark).find((e) => e.event === 'unread')?.data).toEqual({ count: 1 })

    // The kill switch, then a workspace lock written by another process (as the lockdown does).
    mark = s.events.length
    expect((await send('POST', '/trading/halt', { reason: 'checking something' })).statusCode).toBe(200)
    await expect.poll(() => changedSince(s.events, mark).has('lock')).toBe(true)
    mark = s.events.length
    await database.db.update(schema.workspaces).set({ lockedAt: t.clock.now() }).where(eq(schema.workspaces.id, ws))
    await expect.poll(() => changedSince(s.events, mark).has('lock')).toBe(true)
    await database.db.update(schema.workspaces).set({ lockedAt: null }).where(eq(schema.workspaces.id, ws))

    // Only topic names and counts cross the stream: no ids, names or amounts.
    const body = JSON.stringify(s.events)
    for (const secretish of [accountId, botId, 'Paper', '40000', 'checking something']) expect(body).not.toContain(secretish)

    s.close()
    await expect.poll(() => changes.pollerCount()).toBe(0)
    expect(changes.listenerCount(ws)).toBe(0)
  })

  it('shares one poller between the streams of a workspace and stops it when the last one closes', async () => {
    const a = await openStream(`${base}${path('/live')}`, owner.cookie)
    const b = await openStream(`${base}${path('/live')}`, owner.cookie)
    await expect.poll(() => changes.listenerCount(ws)).toBe(2)
    expect(changes.pollerCount()).toBe(1)
    a.close()
    await expect.poll(() => changes.listenerCount(ws)).toBe(1)
    expect(changes.pollerCount()).toBe(1)
    b.close()
    await expect.poll(() => changes.pollerCount()).toBe(0)
  })

  it('refuses a signed-out request (401), a stranger and a malformed workspace id (404: whether a workspace exists is not revealed)', async () => {
    expect((await t.app.inject({ method: 'GET', url: path('/live') })).statusCode).toBe(401)
    await t.addUser('stranger@example.com')
    const stranger = await t.signIn('stranger@example.com')
    expect((await t.call('GET', path('/live'), stranger)).statusCode).toBe(404)
    expect((await t.call('GET', '/api/workspaces/not-a-uuid/live', owner)).statusCode).toBe(404)
    expect(changes.pollerCount()).toBe(0)
  })
})

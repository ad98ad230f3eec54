import { asc, eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../support/databases.js'
import { PASSWORD, startFullPlatform, type FullPlatform, type Method, type Reply, type Session } from '../support/full-platform.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { schema } from '../../src/db/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { verifyChain, workspaceChain } from '../../src/monitoring/index.js'
import type { KeyLimits } from '../../src/signer/index.js'
import type { ApprovalView } from '../../src/teams/index.js'

type Account = { id: string; keyId: string; state: string; limits: KeyLimits | null; stale: boolean }
type Widening = { operationId: string; keyId: string; kind: string; state: string; params: Record<string, unknown> }
type Webhook = { url: string; secret: string; tradingViewMessage: string }
type Alert = { id: string; rule: string; details: Record<string, unknown> }

const people = ['owner', 'admin', 'trader', 'trader2', 'viewer', 'viewer2'] as const
type Person = (typeof people)[number]

/**
 * Two things that end or widen what people can do in a team workspace, over the whole platform as main.ts
 * wires it (startPlatform, the real signer in-process against the Binance emulator):
 * - widening a key's signer limits where approvals are on (R42) waits for a second owner or admin
 *   (limits.raise, payload target 'key'); once approved it becomes the signer's own pending widening,
 *   which still waits for a trusted passkey or the signer's delay. Narrowing applies at once.
 * - a member who could read Signal Bot webhook secrets leaving or being removed replaces every webhook
 *   secret of the workspace (the old one stops working) and raises `webhook_secrets_rotated`; a viewer
 *   never saw one, so nothing rotates for them.
 */
describe.each(backends)('team offboarding and key limits over the whole platform on %s', (kind) => {
  let p: FullPlatform
  const clock = createManualClock('2026-12-07T09:00:00Z')
  const key = { apiKey: randomApiKey(), secret: randomHmacSecret() }
  const ids = {} as Record<Person, string>
  const s = {} as Record<Person, Session>
  let ws = ''
  let account: Account
  let webhookBots: string[] = []
  const emailOf = (who: Person) => `${who}@example.com`

  const send = (who: Person, method: Method, path: string, payload?: unknown): Promise<Reply> => p.request(method, `/api/workspaces/${ws}${path}`, s[who], payload)
  const stepUp = async (who: Person) => expect((await p.request('POST', '/api/auth/step-up', s[who], { password: PASSWORD })).status).toBe(200)
  const codeOf = (res: Reply) => res.json<{ code?: string; reason?: string }>()
  /** The key as the signer has it now (owners read the live state, not the mirror). */
  const liveAccount = async () => {
    const res = await send('owner', 'GET', '/exchange-accounts')
    expect(res.status).toBe(200)
    const found = res.json<Account[]>().find((a) => a.id === account.id)
    if (!found) throw new Error('the exchange account is gone')
    // Read from the signer just now, not the api's last-known mirror.
    expect(found.stale).toBe(false)
    return found
  }
  const widenings = async () => {
    const res = await send('owner', 'GET', '/key-widenings')
    expect(res.status).toBe(200)
    return res.json<Widening[]>()
  }
  const setLimits = async (who: Person, limits: KeyLimits) => {
    await stepUp(who)
    return send(who, 'PUT', `/exchange-accounts/${account.id}/limits`, { limits })
  }
  const chain = () => p.db.select().from(schema.auditEvents).where(eq(schema.auditEvents.chain, workspaceChain(ws))).orderBy(asc(schema.auditEvents.seq))
  const webhookOf = async (botId: string) => {
    await stepUp('owner')
    const res = await send('owner', 'GET', `/signal-bots/${botId}/webhook`)
    expect(res.status).toBe(200)
    return res.json<Webhook>()
  }
  const webhooks = async () => Promise.all(webhookBots.map(webhookOf))
  const rotatedAlerts = async () => {
    const res = await send('owner', 'GET', '/alerts')
    expect(res.status).toBe(200)
    return res.json<Alert[]>().filter((a) => a.rule === 'webhook_secrets_rotated')
  }
  /** A signal as TradingView would send it, with `secret` as its credential. */
  const signal = (botId: string, secret: string) =>
    p.app.inject({ method: 'POST', url: `/api/hooks/signal/${botId}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ secret, action: 'enter_long', symbol: 'BTC/USDT', timestamp: clock.now().toISOString() }) })

  const narrowed: KeyLimits = { symbols: ['BTC/USDT', 'ETH/USDT'], maxOrderNotional: '40', max24hNotional: '400', maxOrdersPerMinute: 5, priceBandPct: '5' }
  const widened: KeyLimits = { ...narrowed, maxOrderNotional: '500', max24hNotional: '5000' }

  beforeAll(async () => {
    p = await startFullPlatform(kind, {
      clock,
      emulator: { accounts: [{ ...key, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000' } }], prices: { BTCUSDT: '50000' } },
    })
    for (const who of people) ids[who] = (await p.addUser(emailOf(who))).userId
    const roleOf: Record<Person, 'owner' | 'admin' | 'trader' | 'viewer'> = { owner: 'owner', admin: 'admin', trader: 'trader', trader2: 'trader', viewer: 'viewer', viewer2: 'viewer' }
    ws = await p.addTeamWorkspace('Desk', people.map((who) => ({ userId: ids[who], role: roleOf[who] })))
    // Password step-up is enough (no passkeys here); the key and the bots are set up before four-eyes is turned on.
    await p.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false, requireTwoFactorForKeys: false, approvalsRequired: false }).where(eq(schema.workspaces.id, ws))
    for (const who of people) s[who] = await p.signIn(emailOf(who))

    await stepUp('owner')
    const connected = await send('owner', 'POST', '/exchange-accounts', { exchange: 'binance', label: 'Main', envelope: await p.signer.seal(ws, key) })
    if (connected.status !== 201) throw new Error(`connecting the key: ${connected.status} ${connected.body}`)
    account = connected.json<Account>()

    const demo = await send('owner', 'POST', '/demo/accounts', { name: 'Paper', kind: 'spot' })
    if (demo.status !== 201) throw new Error(`demo account: ${demo.status} ${demo.body}`)
    const demoAccountId = demo.json<{ id: string }>().id
    const bot = async (name: string, source: Record<string, unknown>) => {
      const res = await send('owner', 'POST', '/signal-bots', { name, demoAccountId, config: { symbols: ['BTC/USDT'], sizing: { kind: 'base', amount: '0.01' }, source } })
      if (res.status !== 201) throw new Error(`signal bot ${name}: ${res.status} ${res.body}`)
      return res.json<{ bot: { id: string } }>().bot.id
    }
    webhookBots = [await bot('Breakouts', { kind: 'webhook' }), await bot('Reversals', { kind: 'webhook' })]
    // A bot driven by an indicator has no webhook: offboarding passes it by and still rotates the others.
    await bot('Crosses', { kind: 'indicator', indicator: { type: 'ema_cross', fast: 9, slow: 21 }, timeframe: '1h' })

    await p.db.update(schema.workspaces).set({ approvalsRequired: true }).where(eq(schema.workspaces.id, ws))
  }, 180_000)
  afterAll(async () => {
    await p?.close()
  })

  it('narrowing a key’s limits applies at once in the signer, with no request and no pending widening', async () => {
    expect((await liveAccount()).limits?.maxOrderNotional).not.toBe('40')
    const res = await setLimits('owner', narrowed)
    expect(res.status).toBe(200)
    expect(res.json()).toMatchObject({ status: 'applied', account: { id: account.id, limits: { maxOrderNotional: '40', max24hNotional: '400' } } })
    expect((await liveAccount()).limits).toMatchObject({ maxOrderNotional: '40', max24hNotional: '400', maxOrdersPerMinute: 5 })
    expect((await send('owner', 'GET', '/approvals?state=pending')).json()).toEqual([])
    expect(await widenings()).toEqual([])
  })

  let approval: ApprovalView

  it('widening waits for a second person: 202 with a limits.raise request, the signer unchanged and nothing proposed to it', async () => {
    const res = await setLimits('owner', widened)
    expect(res.status).toBe(202)
    const body = res.json<{ status: string; approval: ApprovalView }>()
    expect(body.status).toBe('pending_approval')
    approval = body.approval
    expect(approval).toMatchObject({
      kind: 'limits.raise',
      state: 'pending',
      requestedBy: { userId: ids.owner },
      details: { target: 'key', exchangeAccountId: account.id, limits: { maxOrderNotional: '500', max24hNotional: '5000' } },
    })
    expect((await liveAccount()).limits).toMatchObject({ maxOrderNotional: '40', max24hNotional: '400' })
    expect(await widenings()).toEqual([])
    // The second admin sees it waiting and may decide it.
    expect((await send('admin', 'GET', '/approvals?state=pending')).json<ApprovalView[]>()).toEqual([expect.objectContaining({ id: approval.id, canDecide: true })])
  })

  it('the requester cannot approve it; the second admin does, and the widening is proposed to the signer, still awaiting its confirmation', async () => {
    await stepUp('owner')
    const self = await send('owner', 'POST', `/approvals/${approval.id}/approve`)
    expect(self.status).toBe(403)
    expect(codeOf(self)).toMatchObject({ code: 'FORBIDDEN', reason: 'SELF_APPROVAL' })
    expect(await widenings()).toEqual([])
    expect((await send('owner', 'GET', `/approvals/${approval.id}`)).json()).toMatchObject({ state: 'pending' })

    await stepUp('admin')
    const approved = await send('admin', 'POST', `/approvals/${approval.id}/approve`)
    expect(approved.status).toBe(200)
    const decided = approved.json<ApprovalView>()
    expect(decided).toMatchObject({ state: 'approved', decidedBy: { userId: ids.admin }, result: { exchangeAccountId: account.id, widening: 'pending', operationId: expect.any(String) } })
    const operationId = decided.result?.operationId

    // The signer holds it as its own pending widening of that key: approval does not bypass the passkey-or-delay rule.
    const pending = await widenings()
    expect(pending).toEqual([expect.objectContaining({ operationId, keyId: account.keyId, kind: 'limits', state: 'pending' })])
    expect(JSON.stringify(pending[0]?.params)).toContain('"maxOrderNotional":"500"')
    expect((await liveAccount()).limits).toMatchObject({ maxOrderNotional: '40' })

    const entries = await chain()
    expect(entries.find((e) => e.type === 'approval_requested' && (e.details as { approvalId?: string }).approvalId === approval.id)).toMatchObject({
      actorType: 'user',
      actorId: ids.owner,
      details: expect.objectContaining({ kind: 'limits.raise' }),
    })
    expect(entries.find((e) => e.type === 'approval_approved' && (e.details as { approvalId?: string }).approvalId === approval.id)).toMatchObject({ actorType: 'user', actorId: ids.admin })
    expect((await verifyChain(p.db, workspaceChain(ws))).ok).toBe(true)
  })

  it('a viewer removed or leaving rotates no webhook secret and raises no alert', async () => {
    const before = await webhooks()
    expect(before.map((w) => w.secret)).toHaveLength(2)
    expect(new Set(before.map((w) => w.secret)).size).toBe(2)

    await stepUp('owner')
    const removed = await send('owner', 'DELETE', `/members/${ids.viewer}`)
    expect(removed.status).toBe(204)
    const left = await send('viewer2', 'POST', '/leave')
    expect(left.status).toBe(204)
    const members = (await send('owner', 'GET', '/members')).json<Array<{ userId: string }>>().map((m) => m.userId)
    expect(members).not.toContain(ids.viewer)
    expect(members).not.toContain(ids.viewer2)

    expect((await webhooks()).map((w) => w.secret)).toEqual(before.map((w) => w.secret))
    expect(await rotatedAlerts()).toEqual([])
    expect((await chain()).filter((e) => e.type === 'webhook_secret_rotated')).toEqual([])
    // The current secret still authenticates (a refusal for anything but the secret is fine: the bot is not running).
    const res = await signal(webhookBots[0] ?? '', before[0]?.secret ?? '')
    expect(res.json<{ code?: string }>().code).not.toBe('UNAUTHENTICATED')
  })

  it('a trader removed by an owner: every webhook secret is replaced, the old ones stop working, and an alert says so', async () => {
    const before = await webhooks()
    await stepUp('owner')
    const removed = await send('owner', 'DELETE', `/members/${ids.trader}`)
    expect(removed.status).toBe(204)

    const after = await webhooks()
    for (const [i, w] of after.entries()) {
      expect(w.secret).not.toBe(before[i]?.secret)
      expect(w.tradingViewMessage).not.toContain(before[i]?.secret)
      expect(w.tradingViewMessage).toContain(w.secret)
    }
    // The former member's copy of a secret is refused; the new one authenticates.
    for (const [i, botId] of webhookBots.entries()) {
      const old = await signal(botId, before[i]?.secret ?? '')
      expect(old.statusCode).toBe(401)
      expect(old.json<{ code?: string }>().code).toBe('UNAUTHENTICATED')
      expect((await signal(botId, after[i]?.secret ?? '')).json<{ code?: string }>().code).not.toBe('UNAUTHENTICATED')
    }

    expect(await rotatedAlerts()).toEqual([expect.objectContaining({ details: expect.objectContaining({ bots: 2, memberUserId: ids.trader }) })])
    const rotations = (await chain()).filter((e) => e.type === 'webhook_secret_rotated')
    expect(rotations.map((e) => (e.details as { botId: string }).botId).sort()).toEqual([...webhookBots].sort())
    expect(rotations.every((e) => e.actorId === ids.owner)).toBe(true)
    expect((await verifyChain(p.db, workspaceChain(ws))).ok).toBe(true)
  })

  it('a trader leaving on their own rotates them again, with a second alert naming them', async () => {
    const before = await webhooks()
    const left = await send('trader2', 'POST', '/leave')
    expect(left.status).toBe(204)
    const after = await webhooks()
    for (const [i, w] of after.entries()) expect(w.secret).not.toBe(before[i]?.secret)
    const alerts = await rotatedAlerts()
    expect(alerts).toHaveLength(2)
    expect(alerts.map((a) => a.details.memberUserId).sort()).toEqual([ids.trader, ids.trader2].sort())
    expect((await chain()).filter((e) => e.type === 'webhook_secret_rotated')).toHaveLength(4)
  })
})

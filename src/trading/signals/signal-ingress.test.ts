import { randomBytes } from 'node:crypto'
import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../../test/support/databases.js'
import { rowsOf, schema, type BotStatus } from '../../db/index.js'
import { createManualClock } from '../../lib/clock.js'
import { AppError } from '../../lib/errors.js'
import { newId } from '../../lib/ids.js'
import { createAlerts, type Alerts } from '../../monitoring/index.js'
import type { SignalBotConfig } from '../trading-api-types.js'
import type { SignalInput } from '../trading-types.js'
import { generateWebhookSecret, sealWebhookSecret } from './webhook-secret.js'
import { signWebhook, WEBHOOK_UNAUTHENTICATED_MESSAGE } from './webhook-auth.js'
import { listSignals, recordSignal } from './signal-log.js'
import { tradingViewMessage } from './tradingview.js'
import { createSignalIngress, type SignalIngress, type WebhookRequest } from './signal-ingress.js'

const { workspaces, bots, botSignals } = schema

type Source = Extract<SignalBotConfig['source'], { kind: 'webhook' }>
const webhookSource = (over: Partial<Source> = {}): Source => ({ kind: 'webhook', allowIps: [], maxLagSeconds: 60, ratePerMinute: 30, requireSignature: false, ...over })

/** The refusal a promise ends in: code and reason, or 'accepted'. */
const outcome = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p
    return 'accepted'
  } catch (err) {
    if (!(err instanceof AppError)) throw err
    return `${err.code}:${err.reason ?? ''}`
  }
}

describe.each(backends)('signal ingress on %s', (kind) => {
  let database: TestDatabase
  let alerts: Alerts
  let ingress: SignalIngress
  let workspaceId: string
  const clock = createManualClock('2026-03-02T10:00:00Z')
  const webhookKey = randomBytes(32)
  const delivered: Array<{ botId: string; signal: SignalInput }> = []
  /** Bots whose delivery fails (the runtime could not take the signal). */
  const undeliverable = new Set<string>()
  /** Bots the ingress asked to pause (R18), with the reason. */
  const paused: Array<{ botId: string; reason: string }> = []
  const secrets: string[] = []

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    alerts = createAlerts({ db: database.db, clock })
    workspaceId = newId()
    await database.db.insert(workspaces).values({ id: workspaceId, name: 'signals', createdAt: clock.now() })
    ingress = createSignalIngress({
      db: database.db,
      clock,
      webhookKey,
      alerts,
      burst: { rejections: 5, windowMs: 60_000 },
      deliver: async (bot, signal) => {
        if (undeliverable.has(bot.id)) throw new AppError('CONFLICT', 'the bot is restarting: send the signal again')
        delivered.push({ botId: bot.id, signal })
      },
      pause: async (bot, reason) => {
        paused.push({ botId: bot.id, reason })
        await database.db.update(bots).set({ status: 'paused', statusReason: reason }).where(eq(bots.id, bot.id))
      },
    })
  })
  afterAll(async () => {
    await database.dispose()
  })

  const addBot = async (opts: { source?: Partial<Source> | SignalBotConfig['source']; status?: BotStatus; symbols?: string[]; sides?: SignalBotConfig['sides']; sealFor?: string } = {}) => {
    const id = newId()
    const secret = generateWebhookSecret()
    secrets.push(secret)
    const given = opts.source
    const source: SignalBotConfig['source'] = given !== undefined && given.kind === 'indicator' ? given : webhookSource(given as Partial<Source> | undefined)
    const config: SignalBotConfig = { symbols: opts.symbols ?? ['BTC/USDT'], sizing: { kind: 'quote', amount: '100' }, sides: opts.sides ?? 'long', source, onRejection: 'continue' }
    const now = clock.now()
    await database.db.insert(bots).values({
      id,
      workspaceId,
      kind: 'signal_bot',
      name: 'webhook bot',
      accountKind: 'demo',
      accountId: newId(),
      config,
      state: {},
      status: opts.status ?? 'running',
      webhookSecretSealed: sealWebhookSecret(webhookKey, opts.sealFor ?? id, secret),
      createdAt: now,
      updatedAt: now,
    })
    return { id, secret, config }
  }

  let seq = 0
  const bodyOf = (secret: string, fields: Record<string, unknown> = {}) =>
    JSON.stringify({ secret, action: 'enter_long', symbol: 'BTCUSDT', timestamp: clock.now().toISOString(), signalId: `s-${++seq}`, ...fields })
  const request = (botId: string, rawBody: string, over: Partial<WebhookRequest> = {}): WebhookRequest => {
    return { botId, rawBody, headers: { 'content-type': 'application/json' }, sourceIp: '203.0.113.7', ...over }
  }
  const deliveriesTo = (botId: string) => delivered.filter((d) => d.botId === botId)
  const logOf = (botId: string) => listSignals(database.db, botId, { limit: 500 })

  /** Receives one request; its outcome and the log row it wrote (rows share a millisecond, so found by difference). */
  const receiveLogged = async (botId: string, req: WebhookRequest) => {
    const known = new Set((await logOf(botId)).map((r) => r.id))
    const result = await outcome(ingress.receive(req))
    const written = (await logOf(botId)).filter((r) => !known.has(r.id))
    expect(written.length).toBeLessThanOrEqual(1)
    return { result, row: written[0] }
  }

  /** A refusal: its code and reason, logged as rejected with that code, and nothing delivered. */
  const expectRefused = async (botId: string, req: WebhookRequest, expected: string) => {
    const before = deliveriesTo(botId).length
    const { result, row } = await receiveLogged(botId, req)
    expect(result).toBe(expected)
    expect(row).toMatchObject({ verdict: 'rejected', code: expected.split(':')[0], source: 'webhook', sourceIp: req.sourceIp })
    expect(row?.details.reason ?? '').toBe(expected.split(':')[1])
    expect(deliveriesTo(botId)).toHaveLength(before)
    return row
  }

  it('R18: a burst of 50 authenticated signals on a symbol outside the list is refused before any order, pauses the bot and raises a critical alert', async () => {
    const bot = await addBot({ symbols: ['BTC/USDT'], source: { ratePerMinute: 600 } })
    const results = []
    for (let i = 0; i < 50; i++) results.push(await outcome(ingress.receive(request(bot.id, bodyOf(bot.secret, { symbol: 'SHIBXUSDT' })))))
    // The first is refused for the symbol and pauses the bot; the rest meet a paused bot.
    expect(results[0]).toBe('BAD_INPUT:UNKNOWN_SYMBOL')
    expect(results.slice(1).every((r) => r === 'CONFLICT:BOT_NOT_RUNNING')).toBe(true)
    expect(deliveriesTo(bot.id)).toHaveLength(0)
    expect(paused.filter((p) => p.botId === bot.id)).toHaveLength(1)
    expect(paused.find((p) => p.botId === bot.id)?.reason).toContain('not in this bot')
    const raised = (await alerts.list(workspaceId)).filter((a) => a.rule === 'signal_symbol_not_allowed' && a.details.botId === bot.id)
    expect(raised).toHaveLength(1)
    expect(raised[0]?.severity).toBe('critical')
  })

  it('a wrong secret never pauses a bot, however often it is sent', async () => {
    const bot = await addBot({ symbols: ['BTC/USDT'] })
    for (let i = 0; i < 12; i++) await outcome(ingress.receive(request(bot.id, bodyOf(`bwh_${'x'.repeat(43)}`, { symbol: 'SHIBXUSDT' }))))
    expect(paused.filter((p) => p.botId === bot.id)).toHaveLength(0)
  })

  it('accepts a TradingView alert as TradingView fills it in, logs it and hands it to the bot', async () => {
    const bot = await addBot({ source: { allowIps: ['tradingview'] } })
    const timenow = clock.now().toISOString()
    const filled = tradingViewMessage(bot.config, bot.secret).replaceAll('{{ticker}}', 'BTCUSDT').replaceAll('{{timenow}}', timenow)
    const result = await ingress.receive(request(bot.id, filled, { headers: { 'content-type': 'text/plain; charset=utf-8' }, sourceIp: '52.89.214.238' }))
    expect(result).toMatchObject({ action: 'enter_long', symbol: 'BTC/USDT' })
    expect(deliveriesTo(bot.id)).toEqual([{ botId: bot.id, signal: { action: 'enter_long', symbol: 'BTC/USDT', signalId: `BTCUSDT-enter_long-${timenow}` } }])
    const [row] = await logOf(bot.id)
    expect(row).toMatchObject({ id: result.signalRowId, verdict: 'accepted', code: null, action: 'enter_long', sourceIp: '52.89.214.238' })
    expect(row?.details).toMatchObject({ action: 'enter_long', symbol: 'BTC/USDT', lagMs: 0, isSigned: false })
  })

  it('passes amount, prices, TP and SL through as decimal strings', async () => {
    const bot = await addBot({ symbols: ['BTC/USDT', 'BTC/USDT:USDT'], sides: 'both' })
    await ingress.receive(request(bot.id, bodyOf(bot.secret, { action: 'enter_short', symbol: 'BINANCE:BTCUSDT.P', amount: 0.25, price: '46969.15', takeProfit: 45000, stopLoss: '48000.50', signalId: 'short-1' })))
    expect(deliveriesTo(bot.id)[0]?.signal).toEqual({ action: 'enter_short', symbol: 'BTC/USDT:USDT', amount: '0.25', price: '46969.15', takeProfit: '45000', stopLoss: '48000.5', signalId: 'short-1' })
  })

  it('refuses a wrong secret', async () => {
    const bot = await addBot()
    await expectRefused(bot.id, request(bot.id, bodyOf(`${bot.secret.slice(0, -1)}${bot.secret.endsWith('A') ? 'B' : 'A'}`)), 'UNAUTHENTICATED:WRONG_SECRET')
    const other = await addBot()
    await expectRefused(bot.id, request(bot.id, bodyOf(other.secret)), 'UNAUTHENTICATED:WRONG_SECRET')
  })

  it('answers an unknown bot exactly as a wrong secret, and logs nothing for it', async () => {
    const bot = await addBot()
    const count = async () => rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from bot_signals`))[0]?.n
    const answer = async (botId: string, secret: string) => {
      try {
        await ingress.receive(request(botId, bodyOf(secret)))
      } catch (err) {
        const e = err as AppError
        return { code: e.code, reason: e.reason, message: e.message, status: e.status }
      }
      return 'accepted'
    }
    const wrong = await answer(bot.id, secrets[0] ?? '')
    const before = await count()
    expect(await answer(newId(), bot.secret)).toEqual(wrong)
    expect(await answer('not-a-uuid', bot.secret)).toEqual(wrong)
    expect(wrong).toEqual({ code: 'UNAUTHENTICATED', reason: 'WRONG_SECRET', message: WEBHOOK_UNAUTHENTICATED_MESSAGE, status: 401 })
    expect(await count()).toBe(before)
  })

  it('treats a sealed secret copied from another bot as unreadable: refused, logged, critical alert', async () => {
    const donor = await addBot()
    const bot = await addBot({ sealFor: donor.id })
    // The sender gets the ordinary answer; the owner sees the reason in the log and the alert.
    const { result, row } = await receiveLogged(bot.id, request(bot.id, bodyOf(bot.secret)))
    expect(result).toBe('UNAUTHENTICATED:WRONG_SECRET')
    expect(row).toMatchObject({ verdict: 'rejected', code: 'UNAUTHENTICATED', message: WEBHOOK_UNAUTHENTICATED_MESSAGE, details: { reason: 'SECRET_UNREADABLE' } })
    const raised = (await alerts.list(workspaceId)).filter((a) => a.rule === 'webhook_secret_integrity_failed')
    expect(raised).toHaveLength(1)
    expect(raised[0]).toMatchObject({ severity: 'critical', details: { botId: bot.id } })
  })

  describe('HMAC signatures', () => {
    const signedHeaders = (secret: string, rawBody: string, ts = Math.floor(clock.now().getTime() / 1000)) => ({
      'content-type': 'application/json',
      'x-bulwark-timestamp': String(ts),
      'x-bulwark-signature': signWebhook(secret, ts, rawBody),
    })

    it('accepts a valid signature and notes it in the log', async () => {
      const bot = await addBot({ source: { requireSignature: true } })
      const raw = bodyOf(bot.secret)
      const { result, row } = await receiveLogged(bot.id, request(bot.id, raw, { headers: signedHeaders(bot.secret, raw) }))
      expect(result).toBe('accepted')
      expect(row).toMatchObject({ verdict: 'accepted', details: { isSigned: true } })
    })

    it('refuses a bad signature even when signatures are optional', async () => {
      const bot = await addBot()
      const raw = bodyOf(bot.secret)
      await expectRefused(bot.id, request(bot.id, raw, { headers: signedHeaders(`${bot.secret}x`, raw) }), 'UNAUTHENTICATED:BAD_SIGNATURE')
      await expectRefused(bot.id, request(bot.id, raw.replace('enter_long', 'exit_long'), { headers: signedHeaders(bot.secret, raw) }), 'UNAUTHENTICATED:BAD_SIGNATURE')
    })

    it('refuses an unsigned signal when the bot requires signatures', async () => {
      const bot = await addBot({ source: { requireSignature: true } })
      await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret)), 'UNAUTHENTICATED:SIGNATURE_REQUIRED')
    })

    it('refuses a valid signature made outside the lag window (a replayed signed request)', async () => {
      const bot = await addBot({ source: { requireSignature: true, maxLagSeconds: 30 } })
      const raw = bodyOf(bot.secret)
      const oldTs = Math.floor(clock.now().getTime() / 1000) - 31
      await expectRefused(bot.id, request(bot.id, raw, { headers: signedHeaders(bot.secret, raw, oldTs) }), 'BAD_INPUT:STALE_SIGNAL')
    })
  })

  it('refuses a stale and a future timestamp, and accepts one within the lag (Unix seconds)', async () => {
    const bot = await addBot({ source: { maxLagSeconds: 60 } })
    const nowSeconds = Math.floor(clock.now().getTime() / 1000)
    const stale = await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret, { timestamp: new Date(clock.now().getTime() - 61_000).toISOString() })), 'BAD_INPUT:STALE_SIGNAL')
    expect(stale?.details.lagMs).toBe(61_000)
    expect(stale?.message).toContain('61 s old')
    const future = await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret, { timestamp: nowSeconds + 61 })), 'BAD_INPUT:STALE_SIGNAL')
    expect(future?.message).toContain('in the future')
    const within = await receiveLogged(bot.id, request(bot.id, bodyOf(bot.secret, { timestamp: nowSeconds - 59 })))
    expect(within.result).toBe('accepted')
    expect(within.row?.details.lagMs).toBe(59_000)
  })

  it('acts on a signal id once: a replay is refused and logged', async () => {
    const bot = await addBot()
    expect(await outcome(ingress.receive(request(bot.id, bodyOf(bot.secret, { signalId: 'tv-42' }))))).toBe('accepted')
    const row = await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret, { signalId: 'tv-42' })), 'CONFLICT:DUPLICATE_SIGNAL')
    expect(row?.signalId).toBe('tv-42')
    expect(deliveriesTo(bot.id)).toHaveLength(1)
    // Another bot may use the same id.
    const other = await addBot()
    expect(await outcome(ingress.receive(request(other.id, bodyOf(other.secret, { signalId: 'tv-42' }))))).toBe('accepted')
  })

  it('accepts exactly one of two concurrent deliveries of the same signal id', async () => {
    const bot = await addBot()
    const raw = bodyOf(bot.secret, { signalId: 'race-1' })
    const results = await Promise.all([outcome(ingress.receive(request(bot.id, raw))), outcome(ingress.receive(request(bot.id, raw)))])
    expect(results.sort()).toEqual(['CONFLICT:DUPLICATE_SIGNAL', 'accepted'])
    expect(deliveriesTo(bot.id)).toHaveLength(1)
    const rows = await database.db.select().from(botSignals).where(eq(botSignals.botId, bot.id))
    expect(rows.map((r) => r.verdict).sort()).toEqual(['accepted', 'rejected'])
  })

  it('refuses unknown actions, unfilled placeholders and symbols the bot does not trade', async () => {
    const bot = await addBot()
    const row = await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret, { action: 'buy' })), 'BAD_INPUT:UNKNOWN_ACTION')
    expect(row?.action).toBe('buy')
    const placeholder = await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret, { price: '{{close}}' })), 'BAD_INPUT:UNFILLED_PLACEHOLDER')
    expect(placeholder?.message).toMatch(/^price /)
    await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret, { amount: '1e3' })), 'BAD_INPUT:INVALID_NUMBER')
    await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret, { action: 'enter_short' })), 'BAD_INPUT:SIDE_NOT_ALLOWED')
    // Last: an authenticated off-list symbol also pauses the bot (R18, below).
    await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret, { symbol: 'ETHUSDT' })), 'BAD_INPUT:UNKNOWN_SYMBOL')
  })

  it('refuses a malformed body, an oversize body and another media type — the same answer with or without a bot', async () => {
    const bot = await addBot()
    await expectRefused(bot.id, request(bot.id, '{"secret": "bwh_…", "action": enter_long}'), 'BAD_INPUT:MALFORMED_BODY')
    await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret, { signalId: undefined, extra: 'x' })), 'BAD_INPUT:MALFORMED_BODY')
    await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret, { symbol: 'x'.repeat(9000) })), 'PAYLOAD_TOO_LARGE:BODY_TOO_LARGE')
    await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret), { headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 'UNSUPPORTED_MEDIA_TYPE:UNSUPPORTED_MEDIA_TYPE')
    expect(await outcome(ingress.receive(request(newId(), '{"secret": "bwh_…", "action": enter_long}')))).toBe('BAD_INPUT:MALFORMED_BODY')
  })

  it('enforces the source-IP allowlist (addresses, CIDR v4/v6, the TradingView preset) only after the secret', async () => {
    const bot = await addBot({ source: { allowIps: ['198.51.100.7', '203.0.113.0/24', '2001:db8::/32', 'tradingview'] } })
    for (const ip of ['198.51.100.7', '203.0.113.99', '2001:db8:5::1', '34.212.75.30', '::ffff:54.218.53.128']) {
      expect(await outcome(ingress.receive(request(bot.id, bodyOf(bot.secret), { sourceIp: ip })))).toBe('accepted')
    }
    await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret), { sourceIp: '198.51.100.8' }), 'FORBIDDEN:IP_NOT_ALLOWED')
    await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret), { sourceIp: '2001:db9::1' }), 'FORBIDDEN:IP_NOT_ALLOWED')
    // A stranger without the secret learns nothing from the allowlist.
    await expectRefused(bot.id, request(bot.id, bodyOf('bwh_guessguessguessguess'), { sourceIp: '198.51.100.8' }), 'UNAUTHENTICATED:WRONG_SECRET')
  })

  it('rate-limits each bot to its signals per minute', async () => {
    const bot = await addBot({ source: { ratePerMinute: 2 } })
    const other = await addBot({ source: { ratePerMinute: 2 } })
    expect(await outcome(ingress.receive(request(bot.id, bodyOf(bot.secret))))).toBe('accepted')
    expect(await outcome(ingress.receive(request(bot.id, bodyOf(bot.secret))))).toBe('accepted')
    const row = await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret)), 'RATE_LIMITED:RATE_LIMITED')
    expect(row?.message).toContain('wait 30 s')
    expect(await outcome(ingress.receive(request(other.id, bodyOf(other.secret))))).toBe('accepted')
    clock.advance(30_000)
    expect(await outcome(ingress.receive(request(bot.id, bodyOf(bot.secret))))).toBe('accepted')
  })

  it('refuses signals while the bot is not running, and webhooks to an indicator bot', async () => {
    for (const status of ['draft', 'paused', 'stopped', 'failed'] as const) {
      const bot = await addBot({ status })
      const row = await expectRefused(bot.id, request(bot.id, bodyOf(bot.secret)), 'CONFLICT:BOT_NOT_RUNNING')
      expect(row?.message).toContain(status)
    }
    const indicatorBot = await addBot({ source: { kind: 'indicator', indicator: { type: 'rsi', period: 14, oversold: 30, overbought: 70 }, timeframe: '1h' } })
    await expectRefused(indicatorBot.id, request(indicatorBot.id, bodyOf(indicatorBot.secret)), 'CONFLICT:WEBHOOK_DISABLED')
  })

  it('un-accepts a signal the bot could not take, so the sender may send it again', async () => {
    const bot = await addBot()
    undeliverable.add(bot.id)
    const raw = bodyOf(bot.secret, { signalId: 'retry-me' })
    const failed = await receiveLogged(bot.id, request(bot.id, raw))
    expect(failed.result).toBe('CONFLICT:')
    expect(failed.row).toMatchObject({ verdict: 'rejected', code: 'CONFLICT', signalId: 'retry-me' })
    undeliverable.delete(bot.id)
    expect(await outcome(ingress.receive(request(bot.id, raw)))).toBe('accepted')
    expect(deliveriesTo(bot.id)).toHaveLength(1)
  })

  it('raises one burst alert per window when refusals pile up', async () => {
    const bot = await addBot()
    const bursts = async () => (await alerts.list(workspaceId)).filter((a) => a.rule === 'webhook_rejections_burst' && a.details.botId === bot.id)
    for (let i = 0; i < 4; i++) await ingress.receive(request(bot.id, bodyOf('bwh_wrongwrongwrongwrong'))).catch(() => {})
    expect(await bursts()).toHaveLength(0)
    for (let i = 0; i < 6; i++) await ingress.receive(request(bot.id, bodyOf('bwh_wrongwrongwrongwrong'))).catch(() => {})
    const [alert] = await bursts()
    expect(await bursts()).toHaveLength(1)
    expect(alert).toMatchObject({ severity: 'warning', occurrences: 1, details: { rejections: 5, windowSeconds: 60, lastCode: 'UNAUTHENTICATED', lastReason: 'WRONG_SECRET' } })
    clock.advance(61_000)
    for (let i = 0; i < 5; i++) await ingress.receive(request(bot.id, bodyOf('bwh_wrongwrongwrongwrong'))).catch(() => {})
    expect((await bursts()).map((a) => a.occurrences)).toEqual([2])
    // Another bot's refusals are its own.
    const other = await addBot()
    await ingress.receive(request(other.id, bodyOf('bwh_wrongwrongwrongwrong'))).catch(() => {})
    expect((await alerts.list(workspaceId)).filter((a) => a.rule === 'webhook_rejections_burst' && a.details.botId === other.id)).toHaveLength(0)
  })

  it('stops writing refusals past the per-window cap but still refuses them', async () => {
    const capped = createSignalIngress({ db: database.db, clock, webhookKey, alerts, deliver: async () => {}, burst: { rejections: 3, windowMs: 60_000, maxLogged: 4 } })
    const bot = await addBot()
    const results = []
    for (let i = 0; i < 7; i++) results.push(await outcome(capped.receive(request(bot.id, bodyOf('bwh_wrongwrongwrongwrong')))))
    expect(new Set(results)).toEqual(new Set(['UNAUTHENTICATED:WRONG_SECRET']))
    expect(await listSignals(database.db, bot.id)).toHaveLength(4)
  })

  it('records at most one accepted row per bot and signal id; refusals of that id are always written', async () => {
    const bot = await addBot()
    const entry = { botId: bot.id, workspaceId, source: 'indicator' as const, signalId: 'rsi-1', action: 'enter_long', message: 'enter_long BTC/USDT', details: {}, receivedAt: clock.now() }
    expect((await recordSignal(database.db, { ...entry, verdict: 'accepted' })).isDuplicate).toBe(false)
    expect((await recordSignal(database.db, { ...entry, verdict: 'accepted' })).isDuplicate).toBe(true)
    expect((await recordSignal(database.db, { ...entry, verdict: 'rejected', code: 'CONFLICT' })).isDuplicate).toBe(false)
    expect((await recordSignal(database.db, { ...entry, signalId: null, verdict: 'accepted' })).isDuplicate).toBe(false)
    expect((await recordSignal(database.db, { ...entry, signalId: null, verdict: 'accepted' })).isDuplicate).toBe(false)
    // Inside a transaction the conflict leaves the transaction usable.
    await database.db.transaction(async (tx) => {
      expect((await recordSignal(tx, { ...entry, verdict: 'accepted' })).isDuplicate).toBe(true)
      await recordSignal(tx, { ...entry, verdict: 'rejected', code: 'CONFLICT' })
    })
    expect((await listSignals(database.db, bot.id)).map((s) => s.verdict).sort()).toEqual(['accepted', 'accepted', 'accepted', 'rejected', 'rejected'])
  })

  it('pages the signal log newest first', async () => {
    const bot = await addBot()
    for (const action of ['enter_long', 'exit_long', 'close_all']) {
      clock.advance(1_000)
      await ingress.receive(request(bot.id, bodyOf(bot.secret, { action })))
    }
    const first = await listSignals(database.db, bot.id, { limit: 2 })
    expect(first.map((s) => s.action)).toEqual(['close_all', 'exit_long'])
    const rest = await listSignals(database.db, bot.id, { limit: 2, before: first[1]?.id })
    expect(rest.map((s) => s.action)).toEqual(['enter_long'])
    expect(await outcome(listSignals(database.db, bot.id, { before: 'x' }))).toBe('BAD_INPUT:')
  })

  it('never writes a secret to the signal log or an alert', async () => {
    const dump = JSON.stringify([await database.db.select().from(botSignals), await alerts.list(workspaceId)])
    expect(secrets.length).toBeGreaterThan(10)
    for (const secret of secrets) expect(dump).not.toContain(secret)
    expect(dump).not.toContain('bwh_wrong')
  })
})

import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { startAccountsApp, type AccountsApp } from '../support/accounts-app.js'
import { auditRoutes } from '../../src/api/routes/audit-routes.js'
import { checkpointMessage } from '../../src/crypto/checkpoint-format.js'
import { createLogger } from '../../src/lib/logger.js'
import { createAuditCheckpointer, createCheckpointSource, queryAudit, verifyExportFile, workspaceChain, type CheckpointSigner, type SignedCheckpoint } from '../../src/monitoring/index.js'

/** The signer's checkpoint contract with a key of the test's own (the real signer: audit-checkpoints e2e). */
const checkpointSigner = (): CheckpointSigner => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const stored: SignedCheckpoint[] = []
  return {
    sign: async (cp) => {
      const signed = { ...cp, signedAt: cp.time, signature: sign(null, checkpointMessage(cp), privateKey).toString('base64'), keyId: 'test-key' }
      stored.push(signed)
      return signed
    },
    list: async ({ chain, afterSeq = -1, limit }) => ({
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      keyId: 'test-key',
      checkpoints: stored.filter((c) => (chain === undefined || c.chain === chain) && c.seq > afterSeq).slice(0, limit),
    }),
  }
}

describe.each(backends)('audit routes on %s (R36–R40, users’ view)', (kind) => {
  let database: TestDatabase
  let t: AccountsApp
  const signer = checkpointSigner()
  const checkpoints = createCheckpointSource(signer)
  let owner: { cookie: string; csrf: string }
  let ws: string

  beforeAll(async () => {
    database = await openTestDatabase(kind)
    t = await startAccountsApp(database, {
      routes: (h) => [(app) => auditRoutes(app, { db: h.db, clock: h.clock, audit: h.audit, sessions: h.accounts.sessions, apiTokens: h.accounts.apiTokens, stepUp: h.accounts.stepUp, checkpoints })],
    })
    ws = (await t.addUser('owner@example.com')).workspaceId
    await t.addUser('stranger@example.com')
    owner = await t.signIn('owner@example.com')
    for (let i = 1; i <= 7; i++) {
      t.clock.advance(1_000)
      await t.audit.append({ workspaceId: ws, type: i % 2 ? 'risk_limit_changed' : 'bot_started', actor: { type: 'user', id: 'someone' }, outcome: i === 4 ? 'denied' : 'success', details: { botId: `bot-${i}`, note: `change ${i}` } })
    }
    await createAuditCheckpointer({ db: database.db, clock: t.clock, signer, alerts: t.alerts, logger: createLogger({ level: 'silent' }) }).checkpointAll()
  })
  afterAll(async () => {
    await t.close()
    await database.dispose()
  })

  const get = (url: string, s = owner) => t.call('GET', url, s)
  const reads = async () => (await queryAudit(database.db, ws, { type: 'audit_log_read' }, { limit: 100 })).entries

  it('pages the chain newest first with a stable cursor, and filters and searches it', async () => {
    const first = (await get(`/api/workspaces/${ws}/audit?type=risk_limit_changed&limit=2`)).json<{ entries: Array<{ seq: number; type: string }>; nextCursor: string }>()
    expect(first.entries.map((e) => e.type)).toEqual(['risk_limit_changed', 'risk_limit_changed'])
    const second = (await get(`/api/workspaces/${ws}/audit?type=risk_limit_changed&limit=2&cursor=${first.nextCursor}`)).json<{ entries: Array<{ seq: number }>; nextCursor: string | null }>()
    expect(second.entries.every((e) => e.seq < (first.entries.at(-1)?.seq ?? 0))).toBe(true)
    const denied = (await get(`/api/workspaces/${ws}/audit?outcome=denied`)).json<{ entries: Array<{ details: { botId: string } }> }>()
    expect(denied.entries.map((e) => e.details.botId)).toEqual(['bot-4'])
    const searched = (await get(`/api/workspaces/${ws}/audit?q=${encodeURIComponent('CHANGE 5')}`)).json<{ entries: Array<{ details: { botId: string } }> }>()
    expect(searched.entries.map((e) => e.details.botId)).toEqual(['bot-5'])
  })

  it('records reading the log once per member and filter per minute, so paging does not flood it (R40)', async () => {
    const before = (await reads()).length
    await get(`/api/workspaces/${ws}/audit?type=bot_started&limit=1`)
    const page = (await get(`/api/workspaces/${ws}/audit?type=bot_started&limit=1`)).json<{ nextCursor: string }>()
    await get(`/api/workspaces/${ws}/audit?type=bot_started&limit=1&cursor=${page.nextCursor}`)
    const after = await reads()
    expect(after.length).toBe(before + 1)
    expect(after[0]).toMatchObject({ outcome: 'success', actor: { type: 'user' }, details: { filter: { type: 'bot_started' }, via: 'session' } })
    expect(after[0]?.ip).toBeTruthy()
    expect(after[0]?.requestId).toBeTruthy()
    await get(`/api/workspaces/${ws}/audit?type=bot_started&outcome=success`) // another filter: recorded
    expect((await reads()).length).toBe(before + 2)
    t.clock.advance(61_000)
    await get(`/api/workspaces/${ws}/audit?type=bot_started&limit=1`) // a minute later: recorded again
    expect((await reads()).length).toBe(before + 3)
  })

  it('refuses bad queries with a code and hides other workspaces', async () => {
    expect((await get(`/api/workspaces/${ws}/audit?limit=1000`)).json()).toMatchObject({ code: 'BAD_INPUT' })
    expect((await get(`/api/workspaces/${ws}/audit?type=DROP`)).statusCode).toBe(400)
    expect((await get(`/api/workspaces/${ws}/audit?from=yesterday`)).statusCode).toBe(400)
    const stranger = await t.signIn('stranger@example.com')
    expect((await get(`/api/workspaces/${ws}/audit`, stranger)).json()).toMatchObject({ code: 'NOT_FOUND' })
    expect((await get(`/api/workspaces/${ws}/audit/verification`, stranger)).statusCode).toBe(404)
    expect((await t.app.inject({ url: `/api/workspaces/${ws}/audit` })).statusCode).toBe(401)
  })

  it("shows each person their own account events from the system chain, never anyone else's, and whether that chain verifies", async () => {
    const stranger = await t.signIn('stranger@example.com')
    const mine = (await get('/api/me/audit?limit=200')).json<{ entries: { type: string; actor: { id?: string } }[] }>().entries
    const ownerId = mine[0]?.actor.id
    expect(mine.map((e) => e.type)).toEqual(expect.arrayContaining(['login_succeeded']))
    expect(new Set(mine.map((e) => e.actor.id))).toEqual(new Set([ownerId]))
    const theirs = (await get('/api/me/audit?limit=200', stranger)).json<{ entries: { actor: { id?: string } }[] }>().entries
    expect(theirs.length).toBeGreaterThan(0)
    expect(theirs.some((e) => e.actor.id === ownerId)).toBe(false)
    // The actor is fixed: a filter naming someone else is refused, not obeyed.
    expect((await get(`/api/me/audit?actor=${ownerId ?? ''}`, stranger)).statusCode).toBe(400)
    expect((await t.app.inject({ url: '/api/me/audit' })).statusCode).toBe(401)
    // Reading them is audited too, in the system chain (R40).
    expect((await get('/api/me/audit?type=audit_log_read', stranger)).json<{ entries: { type: string }[] }>().entries.length).toBeGreaterThan(0)
    const verdict = (await get('/api/me/audit/verification')).json<Record<string, unknown>>()
    expect(verdict).toMatchObject({ ok: true, checkpointsChecked: true })
    expect(Object.keys(verdict).sort()).toEqual(['checkedAt', 'checkpointsChecked', 'lastCheckpointAt', 'ok']) // not the chain's length: that is everyone's activity
  })

  it('shows the verdict of the workspace chain against the signed checkpoints', async () => {
    const verdict = (await get(`/api/workspaces/${ws}/audit/verification`)).json<{ ok: boolean; entries: number; lastCheckpoint: { seq: number } | null; checkpointsVerified: number }>()
    expect(verdict).toMatchObject({ chain: workspaceChain(ws), ok: true, checkpointsVerified: 1 })
    expect(verdict.lastCheckpoint?.seq).toBeGreaterThanOrEqual(7)
  })

  it('exports JSONL that verifies offline, and CSV with its checkpoints beside it; the export is audited', async () => {
    const res = await get(`/api/workspaces/${ws}/audit/export?format=jsonl`)
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('application/x-ndjson')
    const path = join(mkdtempSync(join(tmpdir(), 'bulwark-audit-routes-')), 'export.jsonl')
    writeFileSync(path, res.body)
    const verdict = await verifyExportFile(path)
    expect(verdict).toMatchObject({ ok: true, chain: workspaceChain(ws), checkpointsVerified: 1 })
    const csv = await get(`/api/workspaces/${ws}/audit/export?format=csv&from=2020-01-01T00:00:00Z`)
    expect(csv.headers['content-type']).toContain('text/csv')
    expect(csv.body.split('\r\n')[0]).toBe('seq,occurredAt,type,actorType,actorId,outcome,ip,requestId,details,prevHash,hash')
    const cps = (await get(`/api/workspaces/${ws}/audit/export/checkpoints`)).json<{ checkpoints: unknown[]; publicKey: string; anchor: string }>()
    expect(cps.checkpoints.length).toBe(1)
    expect(cps.publicKey).toContain('BEGIN PUBLIC KEY')
    expect((await queryAudit(database.db, ws, { type: 'audit_exported' }, { limit: 10 })).entries.map((e) => e.details.format)).toEqual(['csv', 'jsonl'])
    expect((await get(`/api/workspaces/${ws}/audit/export?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z`)).json()).toMatchObject({ code: 'BAD_INPUT' })
  })

  it('asks a signed-in exporter to prove themselves again after five minutes (R32)', async () => {
    t.clock.advance(6 * 60_000)
    const stale = await get(`/api/workspaces/${ws}/audit/export`)
    expect(stale.json()).toMatchObject({ code: 'STEP_UP_REQUIRED' })
    // Reading is not sensitive: it still works.
    expect((await get(`/api/workspaces/${ws}/audit?limit=1`)).statusCode).toBe(200)
  })
})

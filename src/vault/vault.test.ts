import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import fc from 'fast-check'
import { combine } from 'shamir-secret-sharing'
import { sql } from 'drizzle-orm'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { armFaultPoints, parseFaultPoints } from '../lib/fault.js'
import { rowsOf } from '../db/index.js'
import { aeadDecrypt, IntegrityError } from '../crypto/aead.js'
import { createKeyHierarchy } from './master-key.js'
import { createDatabaseShareStore, createDirectoryShareStore, type ShareStore } from './share-store.js'
import { createVault, type VaultEvent } from './vault-service.js'
import { decodeCredentials, type Credentials } from './credentials.js'
import { combineShares } from './shares.js'
import { decryptCredentials, unwrapShare, wrapShare } from './envelope.js'
import { encodeCredentialFields } from '../crypto/sealing.js'

const CANARY_SECRET = `CANARY-${randomBytes(12).toString('hex')}`

describe.each(backends)('vault on %s', (kind) => {
  let database: TestDatabase
  let dir: string
  let stores: ShareStore[]
  let hierarchy: ReturnType<typeof createKeyHierarchy>
  const events: VaultEvent[] = []
  const clock = createManualClock('2026-12-04T09:00:00Z')
  let vault: ReturnType<typeof createVault>

  let second: TestDatabase | undefined

  beforeAll(async () => {
    database = await openTestDatabase(kind, 'vault')
    dir = mkdtempSync(join(tmpdir(), 'bulwark-vault-'))
    // On PostgreSQL, store 2 is a second database, as in production (VAULT2_DATABASE_URL).
    second = kind === 'postgres' ? await openTestDatabase('postgres', 'vault') : undefined
    stores = [
      createDatabaseShareStore('store-1', database.db),
      second ? createDatabaseShareStore('store-2', second.db) : createDirectoryShareStore('store-2', join(dir, 's2')),
      createDirectoryShareStore('store-3', join(dir, 's3')),
    ]
    hierarchy = createKeyHierarchy(join(dir, 'master.key'))
    vault = createVault({ db: database.db, stores, keys: hierarchy, fingerprintKey: randomBytes(32), clock, threshold: 2, onEvent: (e) => events.push(e) })
  })
  afterAll(async () => {
    await database.dispose()
    await second?.dispose()
    rmSync(dir, { recursive: true, force: true })
  })

  const creds = (apiKey = `key-${randomBytes(6).toString('hex')}`, secret = `secret-${randomBytes(12).toString('hex')}`): Credentials =>
    decodeCredentials(encodeCredentialFields({ apiKey, secret }))
  const store = (c: Credentials = creds(), workspaceId = newId()) =>
    vault.storeKey({ workspaceId, exchangeAccountId: newId(), exchange: 'binance', credentials: c, state: 'active', verification: {}, limits: {} })
  const secretOf = (keyId: string, ws: string) => vault.withSecret(keyId, ws, async (c) => c.secret.toString('utf8'))

  it('stores and assembles credentials; another workspace gets NOT_FOUND', async () => {
    const key = await store(creds('AKIAEXAMPLE1234', 'the-secret'))
    expect(key).toMatchObject({ state: 'active', keyVersion: 1, threshold: 2, shareCount: 3, apiKeyHint: 'AKIA…1234' })
    expect(await secretOf(key.keyId, key.workspaceId)).toBe('the-secret')
    await expect(secretOf(key.keyId, newId())).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('refuses the same API key twice on the instance (keyed-hash lock)', async () => {
    await store(creds('SAMEKEY-123456', 's1'))
    await expect(store(creds('SAMEKEY-123456', 's2'))).rejects.toMatchObject({ code: 'CONFLICT' })
  })

  it('R1: no store, dumped whole, holds the secret in raw, hex or base64', async () => {
    await store(creds('CANARYKEY-0001', CANARY_SECRET))
    const forms = [CANARY_SECRET, Buffer.from(CANARY_SECRET).toString('hex'), Buffer.from(CANARY_SECRET).toString('base64')]
    const dumps: string[] = []
    for (const s of ['s2', 's3']) for (const f of existsSync(join(dir, s)) ? readdirSync(join(dir, s)) : []) dumps.push(readFileSync(join(dir, s, f), 'latin1'))
    for (const db of [database, second]) if (db) dumps.push(JSON.stringify(rowsOf(await db.db.execute(sql`select * from signer.shares`))))
    dumps.push(JSON.stringify(rowsOf(await database.db.execute(sql`select * from signer.keys`))))
    for (const d of dumps) for (const f of forms) expect(d.includes(f)).toBe(false)
  })

  it('any single store plus its own KEK recovers nothing', async () => {
    const key = await store(creds('ONESTORE-00001', CANARY_SECRET))
    const record = await stores[1]?.get(key.keyId, 1)
    if (!record) throw new Error('missing record')
    const ctx = { workspaceId: key.workspaceId, exchangeAccountId: key.exchangeAccountId, keyId: key.keyId, keyVersion: 1, storeId: 'store-2', shareIndex: record.shareIndex, t: 2, n: 3 }
    const share = unwrapShare(hierarchy.kekFor('store-2', record.masterVersion), record.wrappedShare, ctx)
    // One real share plus a guess "combines" into garbage, which does not open the credentials.
    const fake = new Uint8Array(randomBytes(share.length))
    fake[fake.length - 1] = (record.shareIndex + 1) % 256
    const guess = await combine([new Uint8Array(share), fake])
    const ctx1 = { v: 1, purpose: 'credentials', workspaceId: key.workspaceId, exchangeAccountId: key.exchangeAccountId, keyId: key.keyId, keyVersion: 1 }
    expect(() => aeadDecrypt(guess, record.credentialsCiphertext, Buffer.from(JSON.stringify(ctx1)))).toThrow()
    await expect(combineShares([{ index: record.shareIndex, bytes: share }], 2)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
  })

  it('R2: below the threshold, combine is never called and the result is KEY_UNAVAILABLE naming the stores', async () => {
    const spy = vi.fn(combine)
    await expect(combineShares([{ index: 1, bytes: new Uint8Array(33) }], 2, spy)).rejects.toMatchObject({ code: 'KEY_UNAVAILABLE' })
    expect(spy).not.toHaveBeenCalled()
    const key = await store()
    await stores[1]?.deleteVersion(key.keyId, 1)
    await stores[2]?.deleteVersion(key.keyId, 1)
    await expect(secretOf(key.keyId, key.workspaceId)).rejects.toThrow(/store-2 \(missing\), store-3 \(missing\)/)
  })

  it('one store missing degrades with an event, and the key still works', async () => {
    const key = await store(creds('DEGRADED-00001', 'still-works'))
    await stores[0]?.deleteVersion(key.keyId, 1)
    events.length = 0
    expect(await secretOf(key.keyId, key.workspaceId)).toBe('still-works')
    // The first two shares are enough to trade; the missing third is reported once every store answered.
    await vi.waitFor(() => expect(events).toContainEqual({ type: 'vault_store_degraded', keyId: key.keyId, stores: [{ storeId: 'store-1', problem: 'missing' }] }))
  })

  it('R3/R4: a flipped bit, a swapped share or a changed index is caught; two bad stores are INTEGRITY_FAILED', async () => {
    const a = await store()
    const b = await store()
    const recA = await stores[2]?.get(a.keyId, 1)
    const recB = await stores[2]?.get(b.keyId, 1)
    if (!recA || !recB) throw new Error('missing records')
    // User A's share copied into user B's row: its context no longer matches.
    await stores[2]?.put({ ...recB, wrappedShare: recA.wrappedShare })
    events.length = 0
    expect(await secretOf(b.keyId, b.workspaceId)).toMatch(/^secret-/)
    expect(events).toContainEqual({ type: 'ciphertext_context_mismatch', keyId: b.keyId, storeId: 'store-3' })
    // A second store with a changed index: fewer than t good shares, and tampering is the cause.
    const recB2 = await stores[1]?.get(b.keyId, 1)
    if (!recB2) throw new Error('missing record')
    await stores[1]?.put({ ...recB2, shareIndex: (recB2.shareIndex + 1) % 256 })
    await expect(secretOf(b.keyId, b.workspaceId)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' })
  })

  it('R3: a corrupted share re-sealed so its own tag passes is caught by the credentials tag', async () => {
    const key = await store(creds('RESEALED-00001', 'resealed-ok'))
    const corrupt = async (s: ShareStore) => {
      const r = await s.get(key.keyId, 1)
      if (!r) throw new Error('missing')
      const ctx = { workspaceId: key.workspaceId, exchangeAccountId: key.exchangeAccountId, keyId: key.keyId, keyVersion: 1, storeId: s.id, shareIndex: r.shareIndex, t: 2, n: 3 }
      const share = unwrapShare(hierarchy.kekFor(s.id, r.masterVersion), r.wrappedShare, ctx)
      share[0] = (share[0] ?? 0) ^ 0x01
      await s.put({ ...r, wrappedShare: wrapShare(hierarchy.kekFor(s.id, r.masterVersion), share, ctx) })
    }
    await corrupt(stores[0] as ShareStore)
    expect(await secretOf(key.keyId, key.workspaceId)).toBe('resealed-ok') // the other pair authenticates
    await corrupt(stores[1] as ShareStore)
    events.length = 0
    await expect(secretOf(key.keyId, key.workspaceId)).rejects.toMatchObject({ code: 'INTEGRITY_FAILED' })
    expect(events).toContainEqual({ type: 'reconstruction_integrity', keyId: key.keyId })
  })

  it('never returns a wrong secret, whatever single bit of whatever stored field is flipped (property)', async () => {
    const key = await store(creds('PROPERTY-00001', 'the-right-secret'))
    const fields = ['wrappedShare', 'credentialsCiphertext', 'shareIndex', 'masterVersion', 'threshold', 'shareCount', 'keyVersion'] as const
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 }), fc.constantFrom(...fields), fc.nat(), fc.integer({ min: 0, max: 7 }), async (storeIndex, field, at, bit) => {
        const s = stores[storeIndex] as ShareStore
        const original = await s.get(key.keyId, 1)
        if (!original) throw new Error('missing record')
        const value = original[field]
        const flipped = Buffer.isBuffer(value) ? Buffer.from(value) : value ^ (1 << bit)
        if (Buffer.isBuffer(flipped)) flipped[at % flipped.length] = (flipped[at % flipped.length] ?? 0) ^ (1 << bit)
        await s.put({ ...original, [field]: flipped })
        try {
          const got = await vault.withSecret(key.keyId, key.workspaceId, async (c) => c.secret.toString('utf8')).catch((e: { code?: string }) => e.code)
          // One damaged store: the other two still assemble the right secret. Never anything else.
          expect(got).toBe('the-right-secret')
        } finally {
          await s.put(original)
        }
      }),
      { numRuns: 60 },
    )
  })

  it('R12: every buffer handed to the caller is zero afterwards, also when the caller throws', async () => {
    const key = await store()
    let seen: Buffer[] = []
    await vault.withSecret(key.keyId, key.workspaceId, async (c) => {
      seen = [c.apiKey, c.secret]
    })
    for (const b of seen) expect(b.every((x) => x === 0)).toBe(true)
    await expect(
      vault.withSecret(key.keyId, key.workspaceId, async (c) => {
        seen = [c.apiKey, c.secret]
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    for (const b of seen) expect(b.every((x) => x === 0)).toBe(true)
  })

  it('a failure between shares leaves no key and no share behind; a crash leftover is swept at start', async () => {
    armFaultPoints(parseFaultPoints('vault.store.after-share-2').points)
    const c = creds('FAULTED-000001', 's')
    await expect(store(c)).rejects.toThrow(/fault injected/)
    armFaultPoints(new Map())
    const keys = rowsOf<{ n: string }>(await database.db.execute(sql`select count(*) as n from signer.keys where api_key_hint = 'FAUL…0001'`))
    expect(Number(keys[0]?.n)).toBe(0)
    expect(await store(creds('FAULTED-000001', 's'))).toMatchObject({ state: 'active' }) // the reuse lock was released too

    // What a kill -9 between shares leaves: a `writing` row and some shares.
    const crashed = await store(creds('CRASHED-000001', 's'))
    await database.db.execute(sql`update signer.keys set state = 'writing' where key_id = ${crashed.keyId}`)
    await stores[2]?.deleteVersion(crashed.keyId, 1)
    expect(await vault.sweepIncomplete()).toBe(1)
    for (const s of stores) expect(await s.listVersions(crashed.keyId)).toEqual([])
    await expect(secretOf(crashed.keyId, crashed.workspaceId)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('destroy removes every share in every store', async () => {
    const key = await store()
    await vault.destroy(key.keyId, key.workspaceId)
    for (const s of stores) expect(await s.listVersions(key.keyId)).toEqual([])
    await expect(secretOf(key.keyId, key.workspaceId)).rejects.toMatchObject({ code: 'NOT_FOUND' })
  })

  it('refresh makes a new data key: old shares stop opening the new ciphertext', async () => {
    const key = await store(creds('REFRESH-000001', 'refreshed'))
    const old = await Promise.all(stores.map((s) => s.get(key.keyId, 1)))
    const refreshed = await vault.refresh(key.keyId, key.workspaceId)
    expect(refreshed.keyVersion).toBe(2)
    expect(await secretOf(key.keyId, key.workspaceId)).toBe('refreshed')
    for (const s of stores) expect(await s.listVersions(key.keyId)).toEqual([2])
    // Rebuild the old data key from two old shares and try today's ciphertext with it.
    const oldShares = old.slice(0, 2).map((r) => {
      if (!r) throw new Error('missing')
      const ctx = { workspaceId: r.workspaceId, exchangeAccountId: r.exchangeAccountId, keyId: r.keyId, keyVersion: 1, storeId: r.storeId, shareIndex: r.shareIndex, t: 2, n: 3 }
      return { index: r.shareIndex, bytes: unwrapShare(hierarchy.kekFor(r.storeId, r.masterVersion), r.wrappedShare, ctx) }
    })
    const oldKey = await combineShares(oldShares, 2)
    const current = await stores[0]?.get(key.keyId, 2)
    const ctx = { workspaceId: key.workspaceId, exchangeAccountId: key.exchangeAccountId, keyId: key.keyId }
    expect(decryptCredentials(oldKey, old[0]?.credentialsCiphertext ?? Buffer.alloc(0), { ...ctx, keyVersion: 1 }).length).toBeGreaterThan(0) // the old pair still opens the old ciphertext
    expect(() => decryptCredentials(oldKey, current?.credentialsCiphertext ?? Buffer.alloc(0), { ...ctx, keyVersion: 2 })).toThrow(IntegrityError)
  })

  it('R7: master rotation re-wraps every share, resumes after an interruption and retires the old version', async () => {
    // Stores of its own: the other tests left deliberately tampered records behind.
    const rotStores = [createDatabaseShareStore('rot-1', database.db), createDirectoryShareStore('rot-2', join(dir, 'r2')), createDirectoryShareStore('rot-3', join(dir, 'r3'))]
    const rotKeys = createKeyHierarchy(join(dir, 'rot-master.key'))
    const rotVault = createVault({ db: database.db, stores: rotStores, keys: rotKeys, fingerprintKey: randomBytes(32), clock, threshold: 2, onEvent: () => {} })
    const key = await rotVault.storeKey({ workspaceId: newId(), exchangeAccountId: newId(), exchange: 'binance', credentials: creds('ROTATE-0000001', 'rotated'), state: 'active', verification: {}, limits: {} })
    await rotVault.storeKey({ workspaceId: newId(), exchangeAccountId: newId(), exchange: 'binance', credentials: creds('ROTATE-0000002', 'second'), state: 'active', verification: {}, limits: {} })
    armFaultPoints(parseFaultPoints('vault.rotate.after-record').points)
    await expect(rotVault.rotateMaster()).rejects.toThrow(/fault injected/)
    armFaultPoints(new Map())
    const before = rotKeys.currentVersion()
    expect(before).toBe(2)
    const result = await rotVault.rotateMaster() // resumes: no extra version
    expect(result).toEqual({ version: 2, rewrapped: 5, failed: 0 })
    for (const s of rotStores) for await (const r of s.all()) expect(r.masterVersion).toBe(2)
    expect(() => rotKeys.kekFor('rot-1', 1)).toThrow(/retired/)
    expect(await rotVault.withSecret(key.keyId, key.workspaceId, async (c) => c.secret.toString('utf8'))).toBe('rotated')
    expect((await rotVault.rotateMaster()).version).toBe(3) // nothing pending: a new version
  })
})

import { randomBytes, createHmac } from 'node:crypto'
import { and, eq, ne } from 'drizzle-orm'
import { AppError, systemErrorCode } from '../lib/errors.js'
import { faultPoint } from '../lib/fault.js'
import { addStage } from '../lib/stage-timer.js'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { IntegrityError } from '../crypto/aead.js'
import type { Db } from '../db/index.js'
import { reuseLocks, vaultKeys, type keyStates } from './vault-schema.js'
import type { KeyHierarchy } from './master-key.js'
import type { ShareStore } from './share-store.js'
import { splitSecret, type Share } from './shares.js'
import { createAssembly } from './assembly.js'
import { encryptCredentials, unwrapShare, wrapShare, type KeyContext } from './envelope.js'
import { apiKeyHint, encodeCredentials, type Credentials } from './credentials.js'

export type KeyState = (typeof keyStates)[number]
export type VaultKey = typeof vaultKeys.$inferSelect

/** Facts the signer turns into audit events and alerts; never carries key material. */
export type VaultEvent =
  | { type: 'vault_store_degraded'; keyId: string; stores: Array<{ storeId: string; problem: 'missing' | 'unreachable' | 'tampered' }> }
  | { type: 'reconstruction_integrity'; keyId: string }
  | { type: 'ciphertext_context_mismatch'; keyId: string; storeId: string }

export type VaultDeps = {
  db: Db
  stores: readonly ShareStore[]
  keys: Pick<KeyHierarchy, 'kekFor' | 'currentVersion' | 'addVersion' | 'retireBelow'>
  fingerprintKey: Buffer
  clock: Clock
  threshold: number
  onEvent: (event: VaultEvent) => void
}

export type StoreKeyInput = {
  workspaceId: string
  exchangeAccountId: string
  exchange: string
  credentials: Credentials
  state: Extract<KeyState, 'unverified' | 'active' | 'pending_approval'>
  verification: Record<string, unknown>
  limits: Record<string, unknown>
  isTestnet?: boolean
}

const isUniqueViolation = (err: unknown) => systemErrorCode(err) === '23505' || systemErrorCode((err as { cause?: unknown })?.cause) === '23505'

/**
 * The vault: runs inside the signer process only. Credentials are encrypted under a fresh data key; the
 * data key is split t-of-n and each share wrapped under its own store's KEK and written to that store.
 * Plaintext exists only inside `withSecret`, and is wiped when it returns or throws.
 */
export const createVault = ({ db, stores, keys, fingerprintKey, clock, threshold, onEvent }: VaultDeps) => {
  const n = stores.length
  if (threshold < 2 || threshold > n) throw new RangeError(`threshold ${threshold} of ${n} stores`)

  /**
   * Share writes (connect, refresh) and master rotation never interleave: a write that captured the old
   * master version could otherwise land after rotation passed its store and be retired with it.
   */
  let shareWrites: Promise<unknown> = Promise.resolve()
  const exclusively = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = shareWrites.then(fn, fn)
    shareWrites = next.catch(() => undefined)
    return next
  }
  /** Changes to one key (refresh, destroy, state) happen one at a time. */
  const keyLocks = new Map<string, Promise<unknown>>()
  const perKey = <T>(keyId: string, fn: () => Promise<T>): Promise<T> => {
    const next = (keyLocks.get(keyId) ?? Promise.resolve()).then(fn, fn)
    keyLocks.set(keyId, next.catch(() => undefined))
    return next
  }

  /** HMAC of the API key id: the reuse lock and the audit identifier, never the key itself. */
  const fingerprintOf = (apiKey: Buffer) => createHmac('sha256', fingerprintKey).update(apiKey).digest('hex')

  /** Writes every share of one key version, or throws (the caller cleans up). */
  const writeShares = async (ctx: KeyContext, credentials: Credentials) => {
    const dataKey = randomBytes(32)
    const plaintext = encodeCredentials(credentials)
    let shares: Share[] = []
    try {
      const ciphertext = encryptCredentials(dataKey, plaintext, ctx)
      shares = await splitSecret(dataKey, threshold, n)
      const masterVersion = keys.currentVersion()
      for (const [i, store] of stores.entries()) {
        const share = shares[i]
        if (!share) throw new Error('share count mismatch')
        const shareCtx = { ...ctx, storeId: store.id, shareIndex: share.index, t: threshold, n }
        const kek = keys.kekFor(store.id, masterVersion)
        try {
          const wrappedShare = wrapShare(kek, share.bytes, shareCtx)
          await store.put({ ...ctx, storeId: store.id, shareIndex: share.index, threshold, shareCount: n, masterVersion, wrappedShare, credentialsCiphertext: ciphertext, createdAt: clock.now() })
        } finally {
          kek.fill(0)
        }
        faultPoint(`vault.store.after-share-${i + 1}`)
      }
    } finally {
      dataKey.fill(0)
      plaintext.fill(0)
      for (const s of shares) s.bytes.fill(0)
    }
  }

  const deleteAllShares = async (keyId: string) => {
    await Promise.allSettled(stores.map(async (s) => Promise.all((await s.listVersions(keyId)).map((v) => s.deleteVersion(keyId, v)))))
  }

  /**
   * Seals and stores a credential set: all shares in all stores, or nothing. The same API key cannot be
   * stored twice on the instance (CONFLICT). Crash-safe: the key row is written first as `writing`, and
   * `sweepIncomplete` at start removes whatever a crash left behind.
   */
  const storeKey = async (input: StoreKeyInput): Promise<VaultKey> => {
    const now = clock.now()
    const keyId = newId(now.getTime())
    const fingerprint = fingerprintOf(input.credentials.apiKey)
    const ctx: KeyContext = { workspaceId: input.workspaceId, exchangeAccountId: input.exchangeAccountId, keyId, keyVersion: 1 }
    try {
      await db.transaction(async (tx) => {
        await tx.insert(reuseLocks).values({ fingerprint, keyId, createdAt: now })
        await tx.insert(vaultKeys).values({
          keyId,
          workspaceId: input.workspaceId,
          exchangeAccountId: input.exchangeAccountId,
          exchange: input.exchange,
          state: 'writing',
          keyVersion: 1,
          threshold,
          shareCount: n,
          apiKeyHint: apiKeyHint(input.credentials.apiKey),
          fingerprint,
          verification: input.verification,
          limits: input.limits,
          isTestnet: input.isTestnet ?? false,
          createdAt: now,
          updatedAt: now,
        })
      })
    } catch (err) {
      if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'this API key is already connected on this instance: remove it there first, or create a new key at the exchange', { cause: err })
      throw err
    }
    try {
      faultPoint('vault.store.after-key-row')
      await exclusively(() => writeShares(ctx, input.credentials))
      const [row] = await db.update(vaultKeys).set({ state: input.state, updatedAt: clock.now() }).where(eq(vaultKeys.keyId, keyId)).returning()
      if (!row) throw new Error('key row vanished')
      return row
    } catch (err) {
      await deleteAllShares(keyId)
      await db.transaction(async (tx) => {
        await tx.delete(reuseLocks).where(eq(reuseLocks.keyId, keyId))
        await tx.delete(vaultKeys).where(eq(vaultKeys.keyId, keyId))
      })
      throw err
    }
  }

  /** Removes what a crash during `storeKey` or `refresh` left: `writing` keys and share versions no key points at. */
  const sweepIncomplete = async (): Promise<number> => {
    let swept = 0
    for (const key of await db.select().from(vaultKeys).where(eq(vaultKeys.state, 'writing'))) {
      forgetKey(key.keyId)
      await deleteAllShares(key.keyId)
      await db.transaction(async (tx) => {
        await tx.delete(reuseLocks).where(eq(reuseLocks.keyId, key.keyId))
        await tx.delete(vaultKeys).where(eq(vaultKeys.keyId, key.keyId))
      })
      swept++
    }
    for (const key of await db.select().from(vaultKeys)) {
      if (key.state === 'destroyed') await deleteAllShares(key.keyId) // a destroy interrupted half-way
      else for (const s of stores) await s.deleteOtherVersions(key.keyId, key.keyVersion)
    }
    return swept
  }

  /**
   * Key rows (metadata only, no key material) cached briefly: every change goes through this process and
   * drops the entry at once, so a disabled key stops trading on the next call; the short TTL covers
   * changes made behind its back (a restored backup).
   */
  const keyCache = new Map<string, { row: VaultKey; at: number }>()
  const KEY_CACHE_MS = 2_000
  const forgetKey = (keyId: string) => keyCache.delete(keyId)

  const getKey = async (keyId: string, workspaceId: string): Promise<VaultKey> => {
    const cached = keyCache.get(keyId)
    let key = cached && Date.now() - cached.at < KEY_CACHE_MS ? cached.row : undefined
    if (!key) {
      ;[key] = await db.select().from(vaultKeys).where(eq(vaultKeys.keyId, keyId)).limit(1)
      if (key) keyCache.set(keyId, { row: key, at: Date.now() })
    }
    // Another workspace's key is NOT_FOUND: its existence is not revealed.
    if (!key || key.workspaceId !== workspaceId || key.state === 'destroyed' || key.state === 'writing') throw new AppError('NOT_FOUND', `exchange key "${keyId}" not found`)
    return key
  }

  /** Records a fresh verification result (re-verification before enabling). */
  const setVerification = async (keyId: string, workspaceId: string, verification: object): Promise<void> => {
    await getKey(keyId, workspaceId)
    forgetKey(keyId)
    await db.update(vaultKeys).set({ verification, updatedAt: clock.now() }).where(eq(vaultKeys.keyId, keyId))
  }

  /** Replaces a key's limits (the signer decides beforehand whether the change may widen them). */
  const updateLimits = async (keyId: string, workspaceId: string, limits: Record<string, unknown>): Promise<VaultKey> => {
    await getKey(keyId, workspaceId)
    forgetKey(keyId)
    const [row] = await db.update(vaultKeys).set({ limits, updatedAt: clock.now() }).where(eq(vaultKeys.keyId, keyId)).returning()
    return row as VaultKey
  }

  const { readShare, goodOf, badOf, firstAuthenticated, assemble } = createAssembly({ keys, onEvent })

  /**
   * Assembles the credentials for one use and wipes them afterwards, even when `use` throws.
   * Reads every store in parallel and uses the first t shares that authenticate (a slow store does not
   * hold an order up); the combined data key counts only if the credentials' GCM tag verifies, and when
   * it does not, every other combination of every share that arrived is tried (a corrupted share that
   * still authenticates is caught here).
   * @throws AppError NOT_FOUND (not this workspace's key), KEY_UNAVAILABLE (fewer than t shares, naming
   *   the stores), INTEGRITY_FAILED (tampered shares or ciphertext; no detail)
   */
  const withSecret = async <T>(keyId: string, workspaceId: string, use: (credentials: Credentials, key: VaultKey) => Promise<T>): Promise<T> => {
    const key = await getKey(keyId, workspaceId)
    const readStart = performance.now()
    const reads = stores.map((s) => readShare(s, key))
    const everything = Promise.all(reads)
    const ctx: KeyContext = { workspaceId: key.workspaceId, exchangeAccountId: key.exchangeAccountId, keyId: key.keyId, keyVersion: key.keyVersion }
    let credentials: Credentials | undefined
    let plaintextSince = 0
    let early: Awaited<typeof everything> = []
    // A store that answers late is still checked: a bad one raises its event all the same. (An unexpected
    // failure while reading surfaces through `early` below; it must not become an unhandled rejection.)
    everything.then(
      (all) => {
        const bad = badOf(all)
        if (bad.length > 0) onEvent({ type: 'vault_store_degraded', keyId, stores: bad })
      },
      () => {},
    )
    try {
      early = await firstAuthenticated(reads, key.threshold)
      addStage('readMs', readStart)
      const combineStart = performance.now()
      if (goodOf(early).length >= key.threshold) credentials = await assemble(goodOf(early).slice(0, key.threshold), key, ctx)
      if (!credentials) {
        early = await everything
        const good = goodOf(early)
        if (good.length < key.threshold) {
          const bad = badOf(early)
          if (bad.some((b) => b.problem === 'tampered')) throw new AppError('INTEGRITY_FAILED', 'the stored key failed its integrity check')
          throw new AppError('KEY_UNAVAILABLE', `the key cannot be assembled: share stores ${bad.map((b) => `${b.storeId} (${b.problem})`).join(', ')} are unavailable`)
        }
        credentials = await assemble(good, key, ctx)
      }
      addStage('combineMs', combineStart)
      if (!credentials) {
        onEvent({ type: 'reconstruction_integrity', keyId })
        throw new AppError('INTEGRITY_FAILED', 'the stored key failed its integrity check')
      }
      plaintextSince = performance.now()
      return await use(credentials, key)
    } finally {
      credentials?.wipe()
      // R13: how long the assembled credentials existed (from decryption to this wipe).
      if (plaintextSince) addStage('plaintextMs', plaintextSince)
      for (const g of goodOf(early)) g.share.bytes.fill(0)
      everything.then(
        (all) => {
          for (const g of goodOf(all)) g.share.bytes.fill(0)
        },
        () => {},
      )
    }
  }

  /**
   * Moves a key to another state. With `from`, only a key that is in that state now (one conditional
   * UPDATE): a key waiting for approval becomes usable exactly once, and never after something else moved it.
   * @throws AppError NOT_FOUND (not this workspace's key, or destroyed), CONFLICT (`from` given and the key is not in it)
   */
  const setState = async (keyId: string, workspaceId: string, state: Extract<KeyState, 'active' | 'disabled' | 'unverified' | 'pending_approval'>, reason?: string, opts: { from?: KeyState } = {}) => {
    await getKey(keyId, workspaceId)
    forgetKey(keyId)
    const [row] = await db
      .update(vaultKeys)
      .set({ state, disabledReason: state === 'disabled' ? (reason ?? 'disabled') : null, updatedAt: clock.now() })
      .where(opts.from === undefined ? eq(vaultKeys.keyId, keyId) : and(eq(vaultKeys.keyId, keyId), eq(vaultKeys.state, opts.from)))
      .returning()
    if (!row) throw new AppError('CONFLICT', `exchange key "${keyId}" is no longer ${opts.from ?? 'there'}`)
    return row
  }

  /**
   * Destroys every share of the key in every store; the row stays as `destroyed` for the record. With
   * `onlyIf`, only a key in that state (e.g. a key waiting for approval: an approval's discard can never
   * destroy a key that is serving).
   * @throws AppError NOT_FOUND (not this workspace's key, or already destroyed), CONFLICT (`onlyIf` given and the key is not in it)
   */
  const destroy = (keyId: string, workspaceId: string, opts: { onlyIf?: KeyState } = {}) =>
    perKey(keyId, async () => {
      await getKey(keyId, workspaceId)
      forgetKey(keyId)
      // The row is marked first: a crash half-way through deleting leaves a destroyed key, never a live one.
      await db.transaction(async (tx) => {
        const [marked] = await tx
          .update(vaultKeys)
          .set({ state: 'destroyed', updatedAt: clock.now() })
          .where(opts.onlyIf === undefined ? eq(vaultKeys.keyId, keyId) : and(eq(vaultKeys.keyId, keyId), eq(vaultKeys.state, opts.onlyIf)))
          .returning({ keyId: vaultKeys.keyId })
        if (!marked) throw new AppError('CONFLICT', `exchange key "${keyId}" is not ${opts.onlyIf ?? 'there'}: it was not destroyed`)
        await tx.delete(reuseLocks).where(eq(reuseLocks.keyId, keyId))
      })
      await deleteAllShares(keyId)
    })

  /** New data key, re-encrypted and re-split: old shares and old backups stop opening today's ciphertext. */
  const refresh = (keyId: string, workspaceId: string): Promise<VaultKey> =>
    perKey(keyId, () => withSecret(keyId, workspaceId, async (credentials, key) => {
      const next = key.keyVersion + 1
      await exclusively(() => writeShares({ workspaceId, exchangeAccountId: key.exchangeAccountId, keyId, keyVersion: next }, credentials))
      faultPoint('vault.refresh.before-switch')
      forgetKey(keyId)
      const [row] = await db.update(vaultKeys).set({ keyVersion: next, updatedAt: clock.now() }).where(eq(vaultKeys.keyId, keyId)).returning()
      for (const s of stores) await s.deleteOtherVersions(keyId, next)
      return row as VaultKey
    }))

  /**
   * For a key pair the signer generated: sets the API key the exchange issued for its public key. The
   * credentials are re-sealed as a new version (new data key), the reuse lock moves to the real API key
   * (CONFLICT when that key is already connected), and the old version is deleted.
   */
  const setApiKey = (keyId: string, workspaceId: string, apiKey: Buffer): Promise<VaultKey> =>
    perKey(keyId, () =>
      withSecret(keyId, workspaceId, async (credentials, key) => {
        const next = key.keyVersion + 1
        const fingerprint = fingerprintOf(apiKey)
        try {
          await db.transaction(async (tx) => {
            await tx.delete(reuseLocks).where(eq(reuseLocks.keyId, keyId))
            await tx.insert(reuseLocks).values({ fingerprint, keyId, createdAt: clock.now() })
          })
        } catch (err) {
          if (isUniqueViolation(err)) throw new AppError('CONFLICT', 'this API key is already connected on this instance', { cause: err })
          throw err
        }
        const updated: Credentials = { apiKey: Buffer.from(apiKey), secret: credentials.secret, password: credentials.password, wipe: () => {} }
        try {
          await exclusively(() => writeShares({ workspaceId, exchangeAccountId: key.exchangeAccountId, keyId, keyVersion: next }, updated))
        } finally {
          updated.apiKey.fill(0)
        }
        forgetKey(keyId)
        const [row] = await db
          .update(vaultKeys)
          .set({ keyVersion: next, apiKeyHint: apiKeyHint(apiKey), fingerprint, updatedAt: clock.now() })
          .where(eq(vaultKeys.keyId, keyId))
          .returning()
        for (const s of stores) await s.deleteOtherVersions(keyId, next)
        return row as VaultKey
      }),
    )

  /**
   * Re-wraps every share under a new master-key version, then retires the old ones. Resumable: a run
   * interrupted half-way is finished by the next call before any new version is added.
   */
  const rotateMaster = (): Promise<{ version: number; rewrapped: number; failed: number }> => exclusively(rotateMasterNow)
  const rotateMasterNow = async (): Promise<{ version: number; rewrapped: number; failed: number }> => {
    const stale = async () => {
      for (const s of stores) for await (const r of s.all()) if (r.masterVersion < keys.currentVersion()) return true
      return false
    }
    if (!(await stale())) keys.addVersion()
    const target = keys.currentVersion()
    let rewrapped = 0
    let failed = 0
    for (const store of stores) {
      for await (const r of store.all()) {
        if (r.masterVersion >= target) continue
        const ctx = { workspaceId: r.workspaceId, exchangeAccountId: r.exchangeAccountId, keyId: r.keyId, keyVersion: r.keyVersion, storeId: store.id, shareIndex: r.shareIndex, t: r.threshold, n: r.shareCount }
        const oldKek = keys.kekFor(store.id, r.masterVersion)
        const newKek = keys.kekFor(store.id, target)
        let share: Buffer | undefined
        try {
          share = unwrapShare(oldKek, r.wrappedShare, ctx)
          await store.put({ ...r, masterVersion: target, wrappedShare: wrapShare(newKek, share, ctx) })
          rewrapped++
          faultPoint('vault.rotate.after-record')
        } catch (err) {
          if (!(err instanceof IntegrityError)) throw err
          failed++
          onEvent({ type: 'ciphertext_context_mismatch', keyId: r.keyId, storeId: store.id })
        } finally {
          share?.fill(0)
          oldKek.fill(0)
          newKek.fill(0)
        }
      }
    }
    if (failed === 0) keys.retireBelow(target)
    return { version: target, rewrapped, failed }
  }

  /** Assembles every live key once (nothing is used) and reports store health: `bulwark vault verify`. */
  const verifyAll = async () => {
    const report: Array<{ keyId: string; workspaceId: string; ok: boolean; problem?: string }> = []
    for (const key of await db.select().from(vaultKeys).where(ne(vaultKeys.state, 'destroyed'))) {
      if (key.state === 'writing') continue
      try {
        await withSecret(key.keyId, key.workspaceId, async () => undefined)
        report.push({ keyId: key.keyId, workspaceId: key.workspaceId, ok: true })
      } catch (err) {
        report.push({ keyId: key.keyId, workspaceId: key.workspaceId, ok: false, problem: err instanceof AppError ? err.code : 'INTERNAL' })
      }
    }
    return report
  }

  const storeHealth = () =>
    Promise.all(
      stores.map(async (s) => ({ storeId: s.id, kind: s.kind, health: await s.health().catch((e: unknown) => (e instanceof Error ? `unreachable: ${e.message.split('\n')[0]}` : 'unreachable')) })),
    )

  return { storeKey, withSecret, getKey, setState, setVerification, updateLimits, destroy, refresh, setApiKey, rotateMaster, sweepIncomplete, verifyAll, storeHealth, fingerprintOf }
}

export type Vault = ReturnType<typeof createVault>

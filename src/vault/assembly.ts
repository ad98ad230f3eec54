import { AppError } from '../lib/errors.js'
import { IntegrityError } from '../crypto/aead.js'
import type { KeyHierarchy } from './master-key.js'
import type { ShareRecord, ShareStore } from './share-store.js'
import { combineShares, shareX } from './shares.js'
import { decryptCredentials, unwrapShare, type KeyContext } from './envelope.js'
import { decodeCredentials, type Credentials } from './credentials.js'
import type { VaultEvent, VaultKey } from './vault-service.js'

/** Every t-sized combination of `items`, in order (3 choose 2 is 3: cheap). */
const combinations = <T>(items: readonly T[], t: number): T[][] =>
  t === 0 ? [[]] : items.flatMap((first, i) => combinations(items.slice(i + 1), t - 1).map((rest) => [first, ...rest]))

/**
 * Reading and assembling one key: each store's share is read, unwrapped under that store's KEK and
 * checked against its authenticated context; t of them are combined; the result counts only when the
 * credentials' GCM tag verifies.
 */
export const createAssembly = ({ keys, onEvent }: { keys: Pick<KeyHierarchy, 'kekFor'>; onEvent: (e: VaultEvent) => void }) => {
  /** Reads, authenticates and checks one store's share; classifies what is wrong with it. */
  const readShare = async (store: ShareStore, key: VaultKey) => {
    let record: ShareRecord | undefined
    try {
      record = await store.get(key.keyId, key.keyVersion)
    } catch {
      return { storeId: store.id, problem: 'unreachable' as const }
    }
    if (!record) return { storeId: store.id, problem: 'missing' as const }
    const ctx = { workspaceId: key.workspaceId, exchangeAccountId: key.exchangeAccountId, keyId: key.keyId, keyVersion: key.keyVersion, storeId: store.id, shareIndex: record.shareIndex, t: key.threshold, n: key.shareCount }
    let kek: Buffer | undefined
    try {
      // An unknown or retired master version is as much a sign of tampering as a bad tag.
      kek = keys.kekFor(store.id, record.masterVersion)
      const bytes = unwrapShare(kek, record.wrappedShare, ctx)
      if (shareX(bytes) !== record.shareIndex) {
        bytes.fill(0)
        throw new IntegrityError()
      }
      return { storeId: store.id, share: { index: record.shareIndex, bytes }, ciphertext: record.credentialsCiphertext }
    } catch (err) {
      if (!(err instanceof IntegrityError) && !(err instanceof AppError)) throw err
      onEvent({ type: 'ciphertext_context_mismatch', keyId: key.keyId, storeId: store.id })
      return { storeId: store.id, problem: 'tampered' as const }
    } finally {
      kek?.fill(0)
    }
  }

  type ShareRead = Awaited<ReturnType<typeof readShare>>
  const goodOf = (results: ShareRead[]) => results.flatMap((r) => ('share' in r && r.share ? [{ storeId: r.storeId, share: r.share, ciphertext: r.ciphertext }] : []))
  const badOf = (results: ShareRead[]) => results.flatMap((r) => ('problem' in r && r.problem ? [{ storeId: r.storeId, problem: r.problem }] : []))

  /** Resolves with what has arrived once `t` shares authenticated, or once every store answered. */
  const firstAuthenticated = (reads: Array<Promise<ShareRead>>, t: number) =>
    new Promise<ShareRead[]>((resolve, reject) => {
      const arrived: ShareRead[] = []
      for (const read of reads) {
        read.then((r) => {
          arrived.push(r)
          if (goodOf(arrived).length >= t || arrived.length === reads.length) resolve([...arrived])
        }, reject)
      }
    })

  /** Tries every t-combination of `good` until the credentials' GCM tag verifies. */
  const assemble = async (good: ReturnType<typeof goodOf>, key: VaultKey, ctx: KeyContext): Promise<Credentials | undefined> => {
    for (const combo of combinations(good, key.threshold)) {
      const dataKey = await combineShares(
        combo.map((c) => c.share),
        key.threshold,
      )
      try {
        for (const { ciphertext } of combo) {
          try {
            const plaintext = decryptCredentials(dataKey, ciphertext, ctx)
            try {
              return decodeCredentials(plaintext)
            } finally {
              plaintext.fill(0)
            }
          } catch (err) {
            if (!(err instanceof IntegrityError)) throw err
          }
        }
      } finally {
        dataKey.fill(0)
      }
    }
    return undefined
  }

  return { readShare, goodOf, badOf, firstAuthenticated, assemble }
}

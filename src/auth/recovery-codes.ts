import { randomBytes } from 'node:crypto'
import { and, count, eq, isNull } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import { safeEqual, sha256Hex } from '../crypto/index.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'

const { recoveryCodes } = schema

/**
 * Recovery codes are `id.secret` (SECURITY.md R27 as amended): the id finds the row, the secret is
 * 100 random bits stored only as SHA-256. That entropy makes a slow hash pointless, and ten argon2 runs
 * per attempt would hand attackers a denial-of-service lever.
 */
export const RECOVERY_CODE_COUNT = 10
const ID_CHARS = 8
/** 20 characters × 5 bits = 100 bits (R27 floor: 80). */
const SECRET_CHARS = 20
/** RFC 4648 base32, lower-cased: no 0/1/8/9, so no O/0 or l/1 look-alikes among the digits. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

export const RECOVERY_CODE_REJECTED = 'that recovery code is not valid'

/** 32 divides 256, so masking each random byte to 5 bits is uniform. */
const randomBase32 = (length: number): string => {
  let out = ''
  for (const byte of randomBytes(length)) out += ALPHABET[byte & 31]
  return out
}

const formatSecret = (secret: string) => secret.match(/.{4}/g)?.join('-') ?? secret

/**
 * `ABCDEFGH.XXXX-XXXX-…`, with or without the dot, dashes or spaces, in any case. The id has a fixed
 * length, so the separators are only decoration; a look-alike digit (0, 1, 8) is read as its letter.
 */
const parseCode = (code: string): { id: string; secret: string } | undefined => {
  const compact = code
    .toLowerCase()
    .replace(/[\s.\-_]+/g, '')
    .replace(/0/g, 'o')
    .replace(/1/g, 'l')
    .replace(/8/g, 'b')
  if (compact.length !== ID_CHARS + SECRET_CHARS || !/^[a-z2-7]+$/.test(compact)) return undefined
  return { id: compact.slice(0, ID_CHARS), secret: compact.slice(ID_CHARS) }
}

/** Compared against when the id is unknown, so every rejection takes the same path. */
const NO_SUCH_HASH = sha256Hex('no such recovery code')

export const createRecoveryCodes = ({ db, clock }: { db: Db; clock: Clock }) => {
  const replaceIn = async (tx: DbOrTx, userId: string): Promise<string[]> => {
    const now = clock.now()
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId))
    const codes: string[] = []
    // Ids are unique across all users; a 40-bit collision with someone else's code is drawn again.
    while (codes.length < RECOVERY_CODE_COUNT) {
      const fresh = Array.from({ length: RECOVERY_CODE_COUNT - codes.length }, () => ({ id: randomBase32(ID_CHARS), secret: randomBase32(SECRET_CHARS) }))
      const inserted = await tx
        .insert(recoveryCodes)
        .values(fresh.map(({ id, secret }) => ({ id, userId, secretHash: sha256Hex(secret), createdAt: now, usedAt: null })))
        .onConflictDoNothing({ target: recoveryCodes.id })
        .returning({ id: recoveryCodes.id })
      const kept = new Set(inserted.map((r) => r.id))
      for (const { id, secret } of fresh) {
        if (kept.delete(id)) codes.push(`${id}.${formatSecret(secret)}`)
      }
    }
    return codes
  }

  /**
   * A new set of codes, replacing every earlier one for the user (all or nothing). Shown to the user
   * once; only hashes are kept.
   */
  const generate = (userId: string, tx?: DbOrTx): Promise<string[]> => (tx ? replaceIn(tx, userId) : db.transaction((t) => replaceIn(t, userId)))

  /**
   * Uses up one code. Unknown, used and wrong codes all get the same error.
   * @throws AppError UNAUTHENTICATED with RECOVERY_CODE_REJECTED
   */
  const consume = async (userId: string, code: string, tx: DbOrTx = db): Promise<void> => {
    const parsed = parseCode(code)
    const presentedHash = sha256Hex(parsed?.secret ?? '')
    const [row] = parsed
      ? await tx
          .select({ secretHash: recoveryCodes.secretHash, usedAt: recoveryCodes.usedAt })
          .from(recoveryCodes)
          .where(and(eq(recoveryCodes.id, parsed.id), eq(recoveryCodes.userId, userId)))
          .limit(1)
      : []
    const matches = safeEqual(presentedHash, row?.secretHash ?? NO_SUCH_HASH)
    if (!parsed || !row || !matches || row.usedAt !== null) throw new AppError('UNAUTHENTICATED', RECOVERY_CODE_REJECTED)
    // Single use is the database's call: of two concurrent requests only one finds used_at still null.
    const used = await tx
      .update(recoveryCodes)
      .set({ usedAt: clock.now() })
      .where(and(eq(recoveryCodes.id, parsed.id), eq(recoveryCodes.userId, userId), eq(recoveryCodes.secretHash, row.secretHash), isNull(recoveryCodes.usedAt)))
      .returning({ id: recoveryCodes.id })
    if (used.length === 0) throw new AppError('UNAUTHENTICATED', RECOVERY_CODE_REJECTED)
  }

  /** Unused codes left, so the UI can urge a new set when few remain. */
  const remaining = async (userId: string, tx: DbOrTx = db): Promise<number> => {
    const [row] = await tx
      .select({ n: count() })
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
    return row?.n ?? 0
  }

  return { generate, consume, remaining }
}
export type RecoveryCodes = ReturnType<typeof createRecoveryCodes>

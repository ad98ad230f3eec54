import { and, desc, eq } from 'drizzle-orm'
import { UAParser } from 'ua-parser-js'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { randomToken, sha256Hex } from '../crypto/index.js'
import { schema, type Db, type DbOrTx } from '../db/index.js'

const { knownDevices } = schema

export const DEVICE_COOKIE = '__Host-did'
/** Browsers cap cookie lifetime at 400 days. */
export const DEVICE_COOKIE_MAX_AGE_SECONDS = 400 * 24 * 3600

/** "Chrome 131 on Linux" from a user agent; "Unknown browser" when there is nothing to read. */
export const describeDevice = (userAgent: string | null | undefined): string => {
  if (!userAgent) return 'Unknown browser'
  const ua = UAParser(userAgent)
  const browser = [ua.browser.name, ua.browser.major].filter(Boolean).join(' ') || 'Unknown browser'
  const os = [ua.os.name, ua.os.version?.split('.')[0]].filter(Boolean).join(' ')
  return os ? `${browser} on ${os}` : browser
}

/**
 * Browsers a user has signed in from (R33). Each gets a random long-lived cookie (stored hashed, bound
 * to the user); a sign-in that presents no cookie known for that user is a new device. The cookie is
 * per browser profile, so clearing cookies makes the next sign-in alert again — a false alarm is the
 * safe side.
 */
export const createDevices = ({ db, clock }: { db: Db; clock: Clock }) => {
  /** Finds the device for this cookie, or records a new one; `isNew` when it was not known for the user. */
  const recognizeIn = async (
    tx: DbOrTx,
    userId: string,
    presented: string | undefined,
    ctx: { ip?: string | undefined; userAgent?: string | undefined },
  ): Promise<{ deviceId: string; isNew: boolean; firstForUser: boolean; cookieToken: string | undefined }> => {
    const now = clock.now()
    if (presented && /^[A-Za-z0-9_-]{43}$/.test(presented)) {
      const [known] = await tx
        .update(knownDevices)
        .set({ lastSeenAt: now, lastIp: ctx.ip ?? null, userAgent: ctx.userAgent?.slice(0, 300) ?? null })
        .where(and(eq(knownDevices.userId, userId), eq(knownDevices.tokenHash, sha256Hex(presented))))
        .returning({ id: knownDevices.id })
      if (known) return { deviceId: known.id, isNew: false, firstForUser: false, cookieToken: undefined }
    }
    const [any] = await tx.select({ id: knownDevices.id }).from(knownDevices).where(eq(knownDevices.userId, userId)).limit(1)
    // Keep the browser's existing cookie if it has one (it identifies the browser, for every user of it).
    const token = presented && /^[A-Za-z0-9_-]{43}$/.test(presented) ? presented : randomToken(32)
    const deviceId = newId(now.getTime())
    await tx.insert(knownDevices).values({
      id: deviceId,
      userId,
      tokenHash: sha256Hex(token),
      userAgent: ctx.userAgent?.slice(0, 300) ?? null,
      firstIp: ctx.ip ?? null,
      lastIp: ctx.ip ?? null,
      firstSeenAt: now,
      lastSeenAt: now,
    })
    return { deviceId, isNew: true, firstForUser: any === undefined, cookieToken: token === presented ? undefined : token }
  }

  const list = async (userId: string) =>
    (await db.select().from(knownDevices).where(eq(knownDevices.userId, userId)).orderBy(desc(knownDevices.lastSeenAt))).map((d) => ({
      id: d.id,
      device: describeDevice(d.userAgent),
      firstSeenAt: d.firstSeenAt.toISOString(),
      lastSeenAt: d.lastSeenAt.toISOString(),
      lastIp: d.lastIp,
    }))

  /** Forgets a device: the next sign-in from it alerts again. */
  const forget = async (userId: string, deviceId: string) => {
    const gone = await db.delete(knownDevices).where(and(eq(knownDevices.userId, userId), eq(knownDevices.id, deviceId))).returning({ id: knownDevices.id })
    if (gone.length === 0) throw new AppError('NOT_FOUND', `device "${deviceId}" not found`)
  }

  return { recognizeIn, list, forget }
}
export type Devices = ReturnType<typeof createDevices>

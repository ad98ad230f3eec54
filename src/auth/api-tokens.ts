import { BlockList, isIP } from 'node:net'
import { and, desc, eq, isNull } from 'drizzle-orm'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import type { Clock } from '../lib/clock.js'
import { randomToken, sha256Hex } from '../crypto/index.js'
import { schema, type ApiTokenScope, type Db } from '../db/index.js'
import type { AuditChain } from '../monitoring/index.js'
import type { AccountMailer } from './account-mail.js'
import { authorize } from './policy.js'

const { apiTokens, users } = schema

export const API_TOKEN_PREFIX = 'bwt_'
const TOKEN_PATTERN = /^bwt_[A-Za-z0-9_-]{43}$/
const TOUCH_EVERY_MS = 60_000

export type ApiTokenActor = { tokenId: string; userId: string; email: string; workspaceId: string; scope: ApiTokenScope }

const inAllowList = (ip: string | undefined, cidrs: readonly string[]): boolean => {
  if (cidrs.length === 0) return true
  if (!ip || isIP(ip) === 0) return false
  const list = new BlockList()
  for (const cidr of cidrs) {
    const [addr = '', prefix] = cidr.split('/')
    const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4'
    if (prefix === undefined) list.addAddress(addr, family)
    else list.addSubnet(addr, Number(prefix), family)
  }
  return list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')
}

/**
 * Personal API tokens for scripts and the CLI, held to the rules we ask of exchange keys: one workspace,
 * a scope, an expiry, optionally an IP allowlist; stored as SHA-256, shown once, revocable. A token
 * acts as its user within its scope — the role check applies too — and never satisfies step-up.
 */
export const createApiTokens = ({ db, clock, audit, mailer }: { db: Db; clock: Clock; audit: Pick<AuditChain, 'appendIn' | 'append'>; mailer: AccountMailer }) => {
  const create = async (
    actor: { userId: string },
    input: { name: string; workspaceId: string; scope: ApiTokenScope; expiresInDays: number; allowedIps: string[] },
    ctx: { ip?: string | undefined; requestId?: string | undefined },
  ) => {
    // A token may not outrank its owner's role: admin scope needs keys.manage, trade needs trading rights.
    await authorize(db, actor.userId, input.workspaceId, input.scope === 'admin' ? 'tokens.admin' : input.scope === 'trade' ? 'tokens.trade' : 'tokens.read')
    const now = clock.now()
    const token = `${API_TOKEN_PREFIX}${randomToken(32)}`
    const id = newId(now.getTime())
    const expiresAt = new Date(now.getTime() + input.expiresInDays * 86_400_000)
    const [user] = await db.select({ email: users.email }).from(users).where(eq(users.id, actor.userId)).limit(1)
    await db.transaction(async (tx) => {
      await tx.insert(apiTokens).values({ id, userId: actor.userId, workspaceId: input.workspaceId, name: input.name, tokenHash: sha256Hex(token), scope: input.scope, allowedIps: input.allowedIps, createdAt: now, expiresAt })
      await audit.appendIn(tx, { workspaceId: input.workspaceId, type: 'api_token_created', actor: { type: 'user', id: actor.userId }, outcome: 'success', ...ctx, details: { id, scope: input.scope, expiresAt: expiresAt.toISOString(), ipRestricted: input.allowedIps.length > 0 } })
      if (user) await mailer.sendIn(tx, { userId: actor.userId, address: user.email }, { template: 'security_notice', vars: { change: 'api_token_created', time: now.toISOString(), ip: ctx.ip, detail: `"${input.name}", ${input.scope} scope` } })
    })
    return { id, token, name: input.name, workspaceId: input.workspaceId, scope: input.scope, allowedIps: input.allowedIps, createdAt: now.toISOString(), expiresAt: expiresAt.toISOString() }
  }

  const list = async (userId: string) =>
    (await db.select().from(apiTokens).where(and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt))).orderBy(desc(apiTokens.createdAt))).map((t) => ({
      id: t.id,
      name: t.name,
      workspaceId: t.workspaceId,
      scope: t.scope,
      allowedIps: t.allowedIps as string[],
      createdAt: t.createdAt.toISOString(),
      expiresAt: t.expiresAt.toISOString(),
      lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
      lastUsedIp: t.lastUsedIp,
    }))

  const revoke = async (userId: string, id: string, ctx: { ip?: string | undefined; requestId?: string | undefined }) => {
    const [row] = await db.update(apiTokens).set({ revokedAt: clock.now() }).where(and(eq(apiTokens.id, id), eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt))).returning()
    if (!row) throw new AppError('NOT_FOUND', `token "${id}" not found`)
    await audit.append({ workspaceId: row.workspaceId, type: 'api_token_revoked', actor: { type: 'user', id: userId }, outcome: 'success', ...ctx, details: { id } })
  }

  /** The actor behind a bearer token, if it is live and used from an allowed address. */
  const authenticate = async (token: string, ip: string | undefined): Promise<ApiTokenActor | undefined> => {
    if (!TOKEN_PATTERN.test(token)) return undefined
    const [row] = await db
      .select({ t: apiTokens, email: users.email, disabledAt: users.disabledAt, lockedAt: users.lockedAt })
      .from(apiTokens)
      .innerJoin(users, eq(users.id, apiTokens.userId))
      .where(eq(apiTokens.tokenHash, sha256Hex(token)))
      .limit(1)
    const now = clock.now()
    if (!row || row.t.revokedAt || row.disabledAt || row.lockedAt || row.t.expiresAt.getTime() <= now.getTime()) return undefined
    if (!inAllowList(ip, row.t.allowedIps as string[])) return undefined
    if (!row.t.lastUsedAt || now.getTime() - row.t.lastUsedAt.getTime() > TOUCH_EVERY_MS || row.t.lastUsedIp !== (ip ?? null)) {
      await db.update(apiTokens).set({ lastUsedAt: now, lastUsedIp: ip ?? null }).where(eq(apiTokens.id, row.t.id))
    }
    return { tokenId: row.t.id, userId: row.t.userId, email: row.email, workspaceId: row.t.workspaceId, scope: row.t.scope }
  }

  return { create, list, revoke, authenticate }
}
export type ApiTokens = ReturnType<typeof createApiTokens>

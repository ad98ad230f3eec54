import { Readable } from 'node:stream'
import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { ApiTokens, SessionService, StepUp } from '../../auth/index.js'
import type { Db, Role } from '../../db/index.js'
import {
  assertExportWindow,
  auditOutcomes,
  createAuditReadThrottle,
  describeFilter,
  exportFormats,
  exportLines,
  exportRange,
  queryAccountAudit,
  queryAudit,
  auditMembers,
  readChainPage,
  trailerOf,
  verifyAllChains,
  SYSTEM_CHAIN,
  workspaceChain,
  type AuditChain,
  type AuditFilter,
  type CheckpointSource,
} from '../../monitoring/index.js'
import { AppError } from '../../lib/errors.js'
import type { Clock } from '../../lib/clock.js'
import type { App } from '../app-types.js'
import { actorOf, authorizeWorkspace, requireActor, requireSession } from '../session-guard.js'

const workspaceParams = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const isoTime = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 time, like 2026-12-01T00:00:00Z' }).transform((s) => new Date(s))

const auditQuery = z
  .object({
    type: z.string().regex(/^[a-z][a-z0-9_.]*$/, 'event types are lowercase, like "session_revoked"').max(80).optional(),
    actor: z.string().min(1).max(200).optional(),
    member: z.string().uuid('must be a member\'s user id').optional(),
    outcome: z.enum(auditOutcomes).optional(),
    q: z.string().min(1).max(200).optional(),
    from: isoTime.optional(),
    to: isoTime.optional(),
    cursor: z.string().regex(/^[1-9][0-9]{0,15}$/, 'use the nextCursor of the previous page').transform(Number).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
  })
  .strict()

const entryView = z.object({
  seq: z.number(),
  occurredAt: z.string(),
  type: z.string(),
  actor: z.object({ type: z.string(), id: z.string().optional() }),
  outcome: z.enum(auditOutcomes),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  prevHash: z.string(),
  hash: z.string(),
})
const pageView = z.object({ entries: z.array(entryView), nextCursor: z.string().nullable() })
const membersView = z.object({
  members: z.array(z.object({ userId: z.string(), email: z.string().nullable(), displayName: z.string().nullable(), entries: z.number(), lastAt: z.string() })),
})

const verificationView = z.object({
  chain: z.string(),
  ok: z.boolean(),
  entries: z.number(),
  firstBadSeq: z.number().optional(),
  reason: z.string().optional(),
  archivedEntries: z.number().optional(),
  checkpointsVerified: z.number().optional(),
  lastCheckpoint: z.object({ seq: z.number(), time: z.string() }).nullable(),
  checkpointsUnavailable: z.string().optional(),
})

const accountVerificationView = z.object({
  ok: z.boolean(),
  /** False when the links were checked but the signer's checkpoints could not be (a cut-off tail would go unseen). */
  checkpointsChecked: z.boolean(),
  lastCheckpointAt: z.string().nullable(),
  checkedAt: z.string(),
})
type AccountVerification = z.infer<typeof accountVerificationView>

/** The system chain is everyone's: verified at most this often, whoever asks (a full walk is the cost). */
const ACCOUNT_VERIFY_EVERY_MS = 60_000

const exportQuery = z.object({ from: isoTime.optional(), to: isoTime.optional(), format: z.enum(exportFormats).default('jsonl') }).strict()
const checkpointView = z.object({ chain: z.string(), seq: z.number(), head: z.string(), time: z.string(), signedAt: z.string(), signature: z.string(), keyId: z.string() })
const exportCheckpointsView = z.object({
  chain: z.string(),
  anchor: z.string(),
  fromSeq: z.number(),
  toSeq: z.number(),
  entries: z.number(),
  checkpoints: z.array(checkpointView),
  publicKey: z.string().nullable(),
  keyId: z.string().nullable(),
})

export type AuditRoutesDeps = {
  db: Db
  clock: Clock
  audit: Pick<AuditChain, 'append'>
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  stepUp: Pick<StepUp, 'require'>
  /** The signer's checkpoints (absent without a signer: verification then covers links and the head row). */
  checkpoints?: CheckpointSource | undefined
}

/** Owners and admins see everyone's entries; traders and viewers only their own (policy.ts, `audit.read`). */
const seesEveryone = (role: Role | undefined) => role === 'owner' || role === 'admin'

/**
 * The filter a trader or viewer actually gets: their own entries, whatever they asked for. Asking for
 * someone else's (by member or actor) is refused rather than silently answered with nothing.
 * @throws AppError FORBIDDEN (reason OWN_ENTRIES_ONLY)
 */
const narrowToOwnEntries = (req: FastifyRequest, asked: Pick<AuditFilter, 'member' | 'actor'>): Pick<AuditFilter, 'member'> => {
  if (seesEveryone(req.workspaceRole)) return {}
  const self = actorOf(req).userId
  if ((asked.member !== undefined && asked.member !== self) || (asked.actor !== undefined && asked.actor !== self)) {
    throw new AppError('FORBIDDEN', `your role (${req.workspaceRole ?? 'member'}) sees only your own entries in the audit log: filter by yourself or by nothing`, { reason: 'OWN_ENTRIES_ONLY' })
  }
  return { member: self }
}

/** Who did it, for the audit record of a read or an export (a script's token acts for its owner). */
const actorFields = (req: FastifyRequest) => {
  const actor = actorOf(req)
  return { actor: { type: 'user' as const, id: actor.userId }, ip: req.ip, requestId: req.id, via: actor.token ? 'api_token' : 'session' }
}

/**
 * The users' view of their workspace's audit chain (R36–R40): filter, search and page it, see its
 * verification against the signer's checkpoints, and export a range with what verifies it offline.
 */
export const auditRoutes = (app: App, deps: AuditRoutesDeps) => {
  const { db, audit, checkpoints } = deps
  const member = [requireActor(deps.sessions, deps.apiTokens), authorizeWorkspace(db)]
  // R32: exporting the audit log is sensitive; a signed-in person proves themselves again. Admin-scope
  // API tokens pass (the policy table allows them `audit.export`; tokens cannot do step-up at all).
  const exporter = [
    ...member,
    async (req: FastifyRequest) => {
      if (req.session) await deps.stepUp.require(req.session, { workspaceId: (req.params as { workspaceId: string }).workspaceId })
    },
  ]
  const readThrottle = createAuditReadThrottle({ clock: deps.clock })
  const tags = ['audit']

  app.get(
    '/api/workspaces/:workspaceId/audit',
    { schema: { tags, params: workspaceParams, querystring: auditQuery, response: { 200: pageView } }, config: { action: 'audit.read' }, preValidation: member },
    async (req) => {
      const { cursor, limit, ...rest } = req.query
      const filter: AuditFilter = { ...rest, ...narrowToOwnEntries(req, rest) }
      const page = await queryAudit(db, req.params.workspaceId, filter, { cursor, limit })
      // R40: reading the audit log is audited — once per member and filter per minute, so paging does not flood it.
      const who = actorFields(req)
      const described = describeFilter(filter)
      if (readThrottle.shouldRecord(who.actor.id, req.params.workspaceId, described)) {
        await audit.append({ workspaceId: req.params.workspaceId, type: 'audit_log_read', actor: who.actor, ip: who.ip, requestId: who.requestId, outcome: 'success', details: { filter: described, via: who.via } })
      }
      return { entries: page.entries.map(({ chain: _c, workspaceId: _w, ...e }) => e), nextCursor: page.nextCursor }
    },
  )

  app.get(
    '/api/workspaces/:workspaceId/audit/members',
    { schema: { tags, params: workspaceParams, response: { 200: membersView } }, config: { action: 'audit.read' }, preValidation: member },
    async (req) => {
      const who = actorFields(req)
      // Someone who sees only their own entries is offered only themselves (if they appear at all).
      const members = await auditMembers(db, req.params.workspaceId, seesEveryone(req.workspaceRole) ? undefined : who.actor.id)
      if (readThrottle.shouldRecord(who.actor.id, req.params.workspaceId, { view: 'members' })) {
        await audit.append({ workspaceId: req.params.workspaceId, type: 'audit_log_read', actor: who.actor, ip: who.ip, requestId: who.requestId, outcome: 'success', details: { filter: { view: 'members' }, via: who.via } })
      }
      return { members: members.map((m) => ({ ...m, lastAt: m.lastAt.toISOString() })) }
    },
  )

  // The verdict tells how long the whole chain is (everyone's entries) and walks it against the signer's
  // checkpoints: owners and admins only (`audit.verify`: the export's roles and token scope, and it stays
  // readable during a lockdown); traders and viewers, who see only their own entries, would learn others' activity.
  app.get(
    '/api/workspaces/:workspaceId/audit/verification',
    { schema: { tags, params: workspaceParams, response: { 200: verificationView } }, config: { action: 'audit.verify' }, preValidation: member },
    async (req) => {
      const chain = workspaceChain(req.params.workspaceId)
      const [verdict] = await verifyAllChains(db, chain, checkpoints ? { checkpoints } : {})
      return verdict ? { ...verdict, lastCheckpoint: verdict.lastCheckpoint ?? null } : { chain, ok: true, entries: 0, lastCheckpoint: null }
    },
  )

  // A person's own account events (sign-up, email, sign-ins, factors, password) live in the system chain:
  // each sees their own entries, never others', and whether that chain verifies (not how long it is).
  const accountOnly = requireSession(deps.sessions)
  app.get(
    '/api/me/audit',
    { schema: { tags, querystring: auditQuery.omit({ actor: true, member: true }), response: { 200: pageView } }, preValidation: accountOnly },
    async (req) => {
      const { cursor, limit, ...filter } = req.query
      const userId = actorOf(req).userId
      const page = await queryAccountAudit(db, userId, filter, { cursor, limit })
      const described = describeFilter(filter)
      if (readThrottle.shouldRecord(userId, SYSTEM_CHAIN, described)) {
        await audit.append({ workspaceId: null, type: 'audit_log_read', actor: { type: 'user', id: userId }, ip: req.ip, requestId: req.id, outcome: 'success', details: { filter: described, scope: 'own_account' } })
      }
      return { entries: page.entries.map(({ chain: _c, workspaceId: _w, ...e }) => e), nextCursor: page.nextCursor }
    },
  )

  // One walk at a time, its verdict (a failure too) kept for a minute and shared by every caller.
  let accountVerdict: { at: number; result: Promise<AccountVerification> } | undefined
  const verifySystemChain = async (): Promise<AccountVerification> => {
    const checkedAt = () => deps.clock.now().toISOString()
    try {
      const [verdict] = await verifyAllChains(db, SYSTEM_CHAIN, checkpoints ? { checkpoints } : {})
      if (verdict === undefined) return { ok: true, checkpointsChecked: true, lastCheckpointAt: null, checkedAt: checkedAt() } // nothing written yet
      return { ok: verdict.ok, checkpointsChecked: checkpoints !== undefined && verdict.checkpointsUnavailable === undefined, lastCheckpointAt: verdict.lastCheckpoint?.time ?? null, checkedAt: checkedAt() }
    } catch {
      // A changed checkpoint key (INTEGRITY_FAILED) or an outage: not verified, said so, not retried per request.
      return { ok: false, checkpointsChecked: false, lastCheckpointAt: null, checkedAt: checkedAt() }
    }
  }
  app.get(
    '/api/me/audit/verification',
    { schema: { tags, response: { 200: accountVerificationView } }, preValidation: accountOnly },
    async () => {
      const now = deps.clock.now().getTime()
      if (accountVerdict === undefined || now - accountVerdict.at >= ACCOUNT_VERIFY_EVERY_MS) {
        const walk = { at: Number.POSITIVE_INFINITY, result: verifySystemChain() }
        accountVerdict = walk
        // The minute counts from the end of the walk: a long walk never overlaps the next.
        void walk.result.then(() => {
          walk.at = deps.clock.now().getTime()
        })
      }
      return await accountVerdict.result
    },
  )

  app.get(
    '/api/workspaces/:workspaceId/audit/export',
    {
      schema: { tags, params: workspaceParams, querystring: exportQuery, description: 'JSONL: entries, then a trailer line with the checkpoints, public key and anchor. CSV: entries (checkpoints at …/export/checkpoints).' },
      config: { action: 'audit.export' },
      preValidation: exporter,
    },
    async (req, reply) => {
      const { from, to, format } = req.query
      assertExportWindow(from, to)
      const chain = workspaceChain(req.params.workspaceId)
      const who = actorFields(req)
      await audit.append({
        workspaceId: req.params.workspaceId,
        type: 'audit_exported',
        actor: who.actor,
        ip: who.ip,
        requestId: who.requestId,
        outcome: 'success',
        details: { format, ...(from ? { from: from.toISOString() } : {}), ...(to ? { to: to.toISOString() } : {}), via: who.via },
      })
      const name = `audit-${req.params.workspaceId}.${format}`
      reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      reply.header('content-disposition', `attachment; filename="${name}"`)
      return reply.send(Readable.from(exportLines(db, { chain, from, to, format }, checkpoints)))
    },
  )

  app.get(
    '/api/workspaces/:workspaceId/audit/export/checkpoints',
    { schema: { tags, params: workspaceParams, querystring: exportQuery.omit({ format: true }), response: { 200: exportCheckpointsView } }, config: { action: 'audit.export' }, preValidation: exporter },
    async (req) => {
      const { from, to } = req.query
      assertExportWindow(from, to)
      const chain = workspaceChain(req.params.workspaceId)
      const cps = checkpoints ? await checkpoints.forChain(chain) : undefined
      const range = await exportRange(db, chain, { from, to }, cps)
      if (!range) return trailerOf(chain, null, 0, cps)
      const [first] = await readChainPage(db, chain, range.firstSeq - 1, 1)
      return trailerOf(chain, { ...range, anchor: first?.prevHash ?? '' }, range.lastSeq - range.firstSeq + 1, cps)
    },
  )
}

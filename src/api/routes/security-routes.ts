import { z } from 'zod'
import { createMeReader, type ApiTokens, type MeReader, type SessionService } from '../../auth/index.js'
import { eq } from 'drizzle-orm'
import { membersAccess } from '../../auth/policy.js'
import { schema, type Db } from '../../db/index.js'
import type { KeyHygiene } from '../../keys/key-hygiene.js'
import { systemClock } from '../../lib/clock.js'
import { createSecurityScore, type TeamPostureFacts } from '../../monitoring/security-score.js'
import type { App } from '../app-types.js'
import { actorOf, authorizeWorkspace, requireActor, requireSession } from '../session-guard.js'

const workspaceParams = z.object({ workspaceId: z.string().uuid('must be a workspace id') })

const keyHealthView = z.object({
  exchangeAccountId: z.string(),
  keyId: z.string(),
  exchange: z.string(),
  label: z.string(),
  state: z.string(),
  disabledReason: z.string().nullable(),
  testnet: z.boolean(),
  badges: z.object({ withdrawDisabled: z.boolean(), ipRestricted: z.boolean(), tradingEnabled: z.boolean() }),
  ageDays: z.number(),
  rotationDueInDays: z.number(),
  lastUsedAt: z.string().nullable(),
  lastVerifiedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  stale: z.boolean(),
})

const securityCheckView = z.object({
  id: z.enum(['two_factor', 'passkey', 'anti_phishing', 'recovery_codes', 'keys_ip_restricted', 'keys_rotated', 'keys_no_withdraw', 'alert_channel']),
  label: z.string(),
  done: z.boolean(),
  weight: z.number().int(),
  detail: z.string(),
  fix: z.object({ label: z.string(), path: z.string() }),
})
const securityWarningView = z.object({
  id: z.enum(['approvals_off', 'members_limited_by_two_factor']),
  severity: z.enum(['warning', 'info']),
  message: z.string(),
  members: z.array(z.object({ userId: z.string(), displayName: z.string(), email: z.string() })),
  fix: z.object({ label: z.string(), path: z.string() }),
})
const securityScoreView = z.object({
  score: z.number().int().min(0).max(100),
  checks: z.array(securityCheckView),
  /** About the workspace, not the member: they never move the score. */
  warnings: z.array(securityWarningView),
})

/** The workspace's team posture for the warnings: its approvals and two-factor policies and who lacks a second factor. */
const teamPostureOf = async (db: Db, workspaceId: string): Promise<TeamPostureFacts> => {
  const [[ws], members] = await Promise.all([
    db.select({ approvalsRequired: schema.workspaces.approvalsRequired, requireTwoFactor: schema.workspaces.requireTwoFactor }).from(schema.workspaces).where(eq(schema.workspaces.id, workspaceId)).limit(1),
    membersAccess(db, workspaceId),
  ])
  return {
    memberCount: members.length,
    approvalsRequired: ws?.approvalsRequired ?? false,
    requireTwoFactor: ws?.requireTwoFactor ?? false,
    membersWithoutSecondFactor: members.filter((m) => !m.hasSecondFactor),
  }
}

export type SecurityRoutesDeps = {
  db: Db
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  hygiene: Pick<KeyHygiene, 'keyHealth'>
  /** The api's shared reader (app.ts drops a user's entry on every change they make); a private one when absent. */
  me?: Pick<MeReader, 'get'>
}

/**
 * The security center: key health (badges, age against the rotation period, last use and verification)
 * and the caller's security score with the steps that raise it, beside the workspace's warnings (approvals
 * off in a team, members limited to viewer by the two-factor policy).
 */
export const securityRoutes = (app: App, { db, sessions, apiTokens, hygiene, me = createMeReader({ db, clock: systemClock }) }: SecurityRoutesDeps) => {
  const guard = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]
  const score = createSecurityScore({
    db,
    // The mirror, not the signer: the Overview asks for the score every minute, for every role.
    keyHealth: (workspaceId) => hygiene.keyHealth(workspaceId, { live: false }),
    teamPosture: (workspaceId) => teamPostureOf(db, workspaceId),
    memberFacts: async (userId) => {
      const view = await me.get(userId)
      // The anti-phishing code itself never leaves auth's view: the score only knows one is set.
      return view && { ...view.security, hasAntiPhishingCode: view.user.antiPhishingCode !== null && view.user.antiPhishingCode !== '', emailVerified: view.user.emailVerified }
    },
  })

  app.get(
    '/api/workspaces/:workspaceId/security/keys',
    { schema: { tags: ['security'], params: workspaceParams, response: { 200: z.array(keyHealthView) } }, config: { action: 'keys.read' }, preValidation: guard },
    // Viewers and scripts read the mirror: no viewer request causes a signer call.
    async (req) => hygiene.keyHealth(req.params.workspaceId, { live: req.workspaceRole !== 'viewer' && actorOf(req).token === undefined }),
  )

  app.get(
    '/api/workspaces/:workspaceId/security/score',
    {
      schema: { tags: ['security'], summary: "The caller's security score (0–100) in this workspace, with each check and the step that completes it, and the workspace's warnings", params: workspaceParams, response: { 200: securityScoreView } },
      config: { action: 'security.read' },
      // A person's own posture (second factors, recovery codes, anti-phishing code): not for API tokens.
      preValidation: [requireSession(sessions), authorizeWorkspace(db)],
    },
    async (req) => score.forMember(req.params.workspaceId, actorOf(req).userId),
  )
}

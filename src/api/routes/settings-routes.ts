import { z } from 'zod'
import type { ApiTokens, SessionService, StepUp } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import { AppError } from '../../lib/errors.js'
import { alertCatalogue, workspaceSettingsSchema, type WorkspaceSettingsService } from '../../monitoring/index.js'
import type { App } from '../app-types.js'
import { authorizeWorkspace, requireActor, requireSession, requireStepUp, sessionOf } from '../session-guard.js'

const workspaceParams = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const severity = z.enum(['info', 'warning', 'critical'])

/** A partial document: each given section replaces the fields it names (workspace-settings.ts validates the whole). */
const settingsPatch = z
  .object({
    alerts: z.object({ rules: z.record(z.string().max(60), z.object({ enabled: z.boolean().optional(), severity: severity.optional() }).strict()) }).strict().optional(),
    keys: z.object({ rotationDays: z.number().int(), remindDaysBefore: z.number().int(), unusedDays: z.number().int() }).partial().strict().optional(),
    audit: z.object({ retentionDays: z.number().int() }).partial().strict().optional(),
    lockdown: z.object({ orders: z.enum(['cancel', 'cancel_and_close', 'leave']) }).partial().strict().optional(),
  })
  .strict()

const ruleView = z.object({
  id: z.string(),
  domain: z.string(),
  scope: z.enum(['workspace', 'instance']),
  title: z.string(),
  trigger: z.string(),
  defaultSeverity: severity,
  severity,
  enabled: z.boolean(),
  canDisable: z.boolean(),
  dedupWindowMs: z.number(),
})

/**
 * The workspace settings document (alert rules, key hygiene, audit retention, lockdown) and the alert
 * catalogue with this workspace's choices. Changing settings needs a signed-in session with step-up
 * (R32: disabling alerts is sensitive), never an API token.
 */
export const settingsRoutes = (
  app: App,
  { db, sessions, apiTokens, stepUp, settings }: { db: Db; sessions: SessionService; apiTokens: Pick<ApiTokens, 'authenticate'>; stepUp: Pick<StepUp, 'require'>; settings: WorkspaceSettingsService },
) => {
  const reader = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]

  app.get(
    '/api/workspaces/:workspaceId/settings',
    { schema: { tags: ['settings'], params: workspaceParams, response: { 200: workspaceSettingsSchema } }, config: { action: 'settings.read' }, preValidation: reader },
    async (req) => settings.get(req.params.workspaceId),
  )

  app.patch(
    '/api/workspaces/:workspaceId/settings',
    {
      schema: { tags: ['settings'], params: workspaceParams, body: settingsPatch, response: { 200: workspaceSettingsSchema } },
      config: { action: 'settings.manage' },
      preValidation: [requireSession(sessions), authorizeWorkspace(db), requireStepUp(stepUp, { workspaceParam: 'workspaceId' })],
    },
    async (req) => {
      // A longer rotation period relaxes a workspace policy: that is the owner's, and may wait for a second
      // owner (policy-routes.ts). Here it may only stay or shorten.
      const rotationDays = req.body.keys?.rotationDays
      if (rotationDays !== undefined && rotationDays > (await settings.get(req.params.workspaceId)).keys.rotationDays) {
        throw new AppError('FORBIDDEN', 'a longer key rotation period relaxes a workspace policy: an owner changes it under Workspace policies', { reason: 'POLICY_RELAXATION' })
      }
      return settings.update(req.params.workspaceId, req.body, { actor: { type: 'user', id: sessionOf(req).userId }, ip: req.ip, requestId: req.id })
    },
  )

  app.get(
    '/api/workspaces/:workspaceId/alert-rules',
    { schema: { tags: ['settings'], params: workspaceParams, response: { 200: z.array(ruleView) } }, config: { action: 'settings.read' }, preValidation: reader },
    async (req) => {
      const { rules } = (await settings.get(req.params.workspaceId)).alerts
      return [...alertCatalogue.values()].map((r) => {
        const o = rules[r.id]
        return {
          id: r.id,
          domain: r.domain,
          scope: r.scope,
          title: r.title,
          trigger: r.trigger,
          defaultSeverity: r.severity,
          severity: o?.severity ?? r.severity,
          enabled: r.canDisable ? o?.enabled !== false : true,
          canDisable: r.canDisable,
          dedupWindowMs: r.dedupWindowMs,
        }
      })
    },
  )
}

import { z } from 'zod'
import type { ApiTokens, SessionService } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import type { KeyHygiene } from '../../keys/key-hygiene.js'
import type { App } from '../app-types.js'
import { authorizeWorkspace, requireActor } from '../session-guard.js'

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

/** The security center's key health: badges, age against the rotation period, last use and verification. */
export const securityRoutes = (app: App, { db, sessions, apiTokens, hygiene }: { db: Db; sessions: SessionService; apiTokens: Pick<ApiTokens, 'authenticate'>; hygiene: Pick<KeyHygiene, 'keyHealth'> }) => {
  app.get(
    '/api/workspaces/:workspaceId/security/keys',
    { schema: { tags: ['security'], params: workspaceParams, response: { 200: z.array(keyHealthView) } }, config: { action: 'keys.read' }, preValidation: [requireActor(sessions, apiTokens), authorizeWorkspace(db)] },
    async (req) => hygiene.keyHealth(req.params.workspaceId),
  )
}

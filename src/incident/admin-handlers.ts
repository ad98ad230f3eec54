import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import type { Incidents } from './incidents.js'
import { ordersModes } from './incident-types.js'

const lockdownVerb = z
  .object({
    workspaceId: z.string().uuid('--workspace must be a workspace id'),
    orders: z.enum(ordersModes).optional(),
    reason: z.string().trim().min(1).max(300).optional(),
  })
  .strict()

/**
 * Admin-socket verbs for `bulwark lockdown` (owner-only socket of the running instance: the operator's
 * authority). The CLI waits for every step, so it prints the whole timeline.
 */
export const incidentAdminHandlers = (incidents: Pick<Incidents, 'lockdown' | 'get'>): Record<string, (body: Record<string, unknown>) => Promise<unknown>> => ({
  lockdown: async (body) => {
    const parsed = lockdownVerb.safeParse(body)
    if (!parsed.success) throw new AppError('BAD_INPUT', parsed.error.issues.map((i) => i.message).join('; '))
    const { workspaceId, orders, reason } = parsed.data
    const result = await incidents.lockdown({ type: 'operator_cli' }, workspaceId, { trigger: 'cli', orders, reason })
    return { ...result, incident: await incidents.get(workspaceId, result.incident.id) }
  },
})

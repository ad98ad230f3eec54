import { z } from 'zod'

/** How a lockdown was started; shown in the incident and its emails. */
export const lockdownTriggers = ['web', 'cli', 'emergency_link', 'system'] as const
export type LockdownTrigger = (typeof lockdownTriggers)[number]

/** What a lockdown does with open orders (workspace setting `lockdown.orders`, or chosen per lockdown). */
export const ordersModes = ['cancel', 'cancel_and_close', 'leave'] as const
export type OrdersMode = (typeof ordersModes)[number]

/** The steps of a lockdown, in the order they run (R19 as amended). */
export const lockdownSteps = ['keys', 'lock', 'bots', 'orders', 'sessions', 'notify'] as const
export type LockdownStep = (typeof lockdownSteps)[number]

export type StepOutcome = 'success' | 'failure' | 'skipped'

/** Who acts: a member (session or API token), the operator's CLI, or Bulwark itself. */
export type IncidentActor = { type: 'user'; userId: string; tokenId?: string | undefined; sessionId?: string | undefined } | { type: 'operator_cli' } | { type: 'system' }

export type LockdownInput = { trigger: LockdownTrigger; reason?: string | undefined; orders?: OrdersMode | undefined }

const reason = z.string().trim().min(1, 'must not be empty').max(300, 'must be at most 300 characters')

export const lockdownBody = z.object({ reason: reason.optional(), orders: z.enum(ordersModes).optional() }).strict()
export type LockdownBody = z.infer<typeof lockdownBody>

/** An emailed link's token: 256 bits, base64url (43 characters). */
export const linkTokenBody = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be the token from the emailed link') }).strict()

const sixDigits = z.string().regex(/^\d{6}$/, 'must be the 6-digit code from your authenticator app')
/** Unlock (R19): the password AND a second factor; a recovery code does not count here. */
export const unlockRequestBody = z.union([
  z.object({ password: z.string().min(1).max(1024), totp: sixDigits }).strict(),
  z.object({ password: z.string().min(1).max(1024), passkey: z.record(z.string(), z.unknown()) }).strict(),
])
export type UnlockRequestBody = z.infer<typeof unlockRequestBody>

export const incidentEventView = z.object({ id: z.string(), at: z.string(), kind: z.string(), outcome: z.enum(['success', 'failure', 'skipped']), details: z.record(z.string(), z.unknown()) })
export type IncidentEventView = z.infer<typeof incidentEventView>

export const incidentView = z.object({
  id: z.string(),
  workspaceId: z.string(),
  state: z.enum(['open', 'unlocking', 'resolved']),
  trigger: z.string(),
  ordersMode: z.string(),
  reason: z.string(),
  openedBy: z.object({ type: z.string(), id: z.string().nullable() }),
  openedAt: z.string(),
  unlockRequestedAt: z.string().nullable(),
  unlockConfirmedAt: z.string().nullable(),
  unlockNotBefore: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  summary: z.record(z.string(), z.unknown()),
})
export type IncidentView = z.infer<typeof incidentView>
export const incidentDetailView = incidentView.extend({ timeline: z.array(incidentEventView) })
export type IncidentDetailView = z.infer<typeof incidentDetailView>

export const lockStatusView = z.object({ locked: z.boolean(), lockedAt: z.string().nullable(), incident: incidentView.nullable() })
export type LockStatusView = z.infer<typeof lockStatusView>

export const lockdownResultView = z.object({
  incident: incidentView,
  /** True when the workspace was already locked down: this lockdown joined its open incident. */
  joined: z.boolean(),
  /** Keys the signer disabled (all of them refuse from now on). */
  keysDisabled: z.number().int(),
  /** Steps still running after the answer (orders, sessions, notifications). */
  pending: z.array(z.enum(lockdownSteps)),
})
export type LockdownResultView = z.infer<typeof lockdownResultView>

export const emergencyPreviewView = z.object({ workspaces: z.array(z.object({ id: z.string(), name: z.string(), role: z.string(), locked: z.boolean() })) })
export const emergencyResultView = z.object({ workspaces: z.array(z.object({ id: z.string(), name: z.string(), incidentId: z.string().nullable(), error: z.string().nullable() })) })

export const unlockRequestedView = z.object({ incidentId: z.string(), state: z.literal('unlocking'), emailedTo: z.string(), coolingOffSeconds: z.number().int() })
export const unlockConfirmedView = z.object({ workspaceId: z.string(), incidentId: z.string(), state: z.enum(['unlocking', 'resolved']), unlockNotBefore: z.string() })

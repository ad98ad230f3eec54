import { z } from 'zod'

export const SYSTEM_CHAIN = 'system'
export const workspaceChain = (workspaceId: string) => `ws:${workspaceId}`

export const auditOutcomes = ['success', 'failure', 'denied'] as const
export type AuditOutcome = (typeof auditOutcomes)[number]

/** Lowercase snake event types (error codes are UPPER_SNAKE; the two never mix). */
export const auditEventType = z.string().regex(/^[a-z][a-z0-9_.]*$/, 'audit event types are lowercase, like "user_created"')

export type AuditActor = { type: 'user' | 'system' | 'operator_cli' | 'api_token'; id?: string | undefined }

export type AuditEventInput = {
  /** Null for instance events: they go to the system chain. */
  workspaceId: string | null
  type: string
  actor: AuditActor
  outcome: AuditOutcome
  ip?: string | undefined
  requestId?: string | undefined
  /** Non-secret facts; a secret-named field is refused. Secret-derived identifiers are HMAC'd by the caller. */
  details?: Record<string, unknown>
}

export type AuditEntry = {
  chain: string
  seq: number
  prevHash: string
  hash: string
  workspaceId: string | null
  type: string
  actor: AuditActor
  occurredAt: string
  ip: string | null
  requestId: string | null
  outcome: AuditOutcome
  details: Record<string, unknown>
}

/** The hash of the entry before the first one of every chain. */
export const GENESIS_HASH = '0'.repeat(64)

import { z } from 'zod'
import { approvalKinds, approvalStates, type ApprovalKind } from '../db/index.js'

export { approvalKinds, approvalStates, type ApprovalKind }

/** Four-eyes requests expire after this long (R42). */
export const APPROVAL_TTL_MS = 24 * 60 * 60 * 1000

const person = z.object({ userId: z.string().uuid(), email: z.string(), displayName: z.string() }).nullable()

/** A pending (or decided) four-eyes request as the API shows it. */
export const approvalViewSchema = z.object({
  id: z.string().uuid(),
  workspaceId: z.string().uuid(),
  kind: z.enum(approvalKinds),
  /** One line for people; cut with a trailing '…' when it was longer than the limit (never silently). */
  summary: z.string(),
  /**
   * What exactly the change does: the stored payload (ids and values the applier uses; never a secret, checked
   * when the request was made). The summary is for reading; these are the facts an approver checks.
   */
  details: z.record(z.string(), z.unknown()),
  state: z.enum(approvalStates),
  requestedBy: person,
  requestedAt: z.string(),
  expiresAt: z.string(),
  decidedBy: person,
  decidedAt: z.string().nullable(),
  note: z.string().nullable(),
  result: z.record(z.string(), z.unknown()).nullable(),
  /** Whether the caller may approve or reject it (an eligible member other than the requester, while pending). */
  canDecide: z.boolean(),
})
export type ApprovalView = z.infer<typeof approvalViewSchema>

/**
 * What a gated route answers instead of applying the change: HTTP 202 with the pending request. The
 * change happens only when a second eligible member approves it.
 */
export const approvalPendingSchema = z.object({ approval: approvalViewSchema })
export type ApprovalPending = z.infer<typeof approvalPendingSchema>

/** Who asked, for the request's audit entry. */
export type ApprovalRequester = { userId: string; ip?: string | undefined; requestId?: string | undefined }

export type ApprovalRequestInput = {
  workspaceId: string
  kind: ApprovalKind
  /** One line for people, e.g. "Raise the max order notional of Binance main from 100 to 500". No secrets. */
  summary: string
  /** What the applier needs (ids and values; never a secret). */
  payload: Record<string, unknown>
  requestedBy: ApprovalRequester
}

/** Context an applier or discarder runs with. */
export type ApprovalContext = {
  workspaceId: string
  approvalId: string
  requestedBy: string | null
  /** The approver (apply), or whoever rejected / null for an expiry (discard). */
  decidedBy: string | null
  ip?: string | undefined
  requestId?: string | undefined
}

/**
 * Why a request's change is discarded: turned down (`rejected`), out of time (`expired`), withdrawn or
 * made moot (`cancelled`), or approved but applying it failed or was interrupted (`failed`).
 */
export type ApprovalDiscardReason = 'rejected' | 'expired' | 'cancelled' | 'failed'

/**
 * How one kind of change is applied once approved, and cleaned up when it is not (rejected, expired,
 * cancelled, failed): e.g. a key waiting as `pending_approval` in the signer is destroyed. Registered by main.ts,
 * which alone sees every domain. `apply` returns non-secret facts shown on the request (ids, states).
 */
export type ApprovalHandler = {
  apply: (payload: unknown, ctx: ApprovalContext) => Promise<Record<string, unknown> | void>
  /** Must be idempotent: a failed apply may have discarded part of it already. */
  discard?: (payload: unknown, ctx: ApprovalContext, reason: ApprovalDiscardReason) => Promise<void>
}

/**
 * The approvals service as the gated routes use it (src/teams/approvals.ts implements it).
 * A gated route asks `required`; when true it calls `request` and answers 202 with the view.
 */
export type ApprovalGate = {
  /** Whether the workspace's policy makes this kind of change wait for a second person. */
  required: (workspaceId: string, kind: ApprovalKind) => Promise<boolean>
  /**
   * Creates the pending request, audits `approval_requested` and notifies the eligible approvers.
   * @throws AppError CONFLICT (reason NO_APPROVER) when nobody but the requester could approve it
   */
  request: (input: ApprovalRequestInput) => Promise<ApprovalView>
}

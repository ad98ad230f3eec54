import { z } from 'zod'
import { AppError } from '../../lib/errors.js'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { ApiTokens, PasskeyService, SessionService, StepUp } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import { catalogue } from '../../exchanges/index.js'
import type { ExchangeAccounts, ExchangeAccountView, Gated } from '../../keys/index.js'
import { keyLimits, sealedEnvelope } from '../../signer/index.js'
import { approvalPendingSchema, type ApprovalGate, type ApprovalView } from '../../teams/index.js'
import type { App } from '../app-types.js'
import { authorizeWorkspace, requireActor, requireSession, requireStepUp, sessionOf } from '../session-guard.js'
import { asOptions, authenticationResponse, webauthnOptions } from './webauthn-schemas.js'

const ws = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const account = ws.extend({ id: z.string().uuid('must be an exchange account id') })
const operation = ws.extend({ operationId: z.string().uuid('must be an operation id') })
const label = z.string().trim().min(1, 'must not be empty').max(60, 'must be at most 60 characters')
const accountView = z.object({
  id: z.string(),
  keyId: z.string(),
  workspaceId: z.string(),
  exchange: z.string(),
  label: z.string(),
  state: z.string(),
  disabledReason: z.string().nullable(),
  apiKeyHint: z.string(),
  verification: z.record(z.string(), z.unknown()),
  limits: keyLimits.nullable(),
  testnet: z.boolean(),
  createdAt: z.string(),
  keyCreatedAt: z.string(),
  keyAgeDays: z.number(),
  lastUsedAt: z.string().nullable(),
  lastVerifiedAt: z.string().nullable(),
  stale: z.boolean(),
})
const pending = z.object({ status: z.literal('pending_confirmation'), operation: z.record(z.string(), z.unknown()) })
/**
 * Four-eyes (R42): the key waits in the signer, unusable, until a second owner or admin approves the request.
 * `account` is the new account, listed as `pending_approval` (connect), or the account as it is, its current
 * key still serving (replace).
 */
const keyApprovalPending = approvalPendingSchema.extend({ account: accountView })

export type ExchangeAccountRouteDeps = {
  db: Db
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  stepUp: Pick<StepUp, 'require'>
  passkeys: Pick<PasskeyService, 'authenticationOptions' | 'count'>
  exchangeAccounts: ExchangeAccounts
  egressIps: readonly string[]
  /** Four-eyes approvals (R42): connecting and replacing a key wait for a second person when the workspace asks. Absent: they apply at once. */
  approvals?: ApprovalGate | undefined
}

const userActor = (req: FastifyRequest) => ({ type: 'user' as const, id: sessionOf(req).userId })
const requestContext = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id })

/**
 * Exchange accounts of a workspace. Connecting, replacing, removing a key and changing its limits are
 * for signed-in people with a fresh step-up (R32), never API tokens; the secret arrives sealed to the
 * signer. Widening returns a pending operation: confirm it with a passkey the signer trusts, or wait.
 * Where the workspace asks for four-eyes approval (R42), connecting or replacing a key answers 202 with
 * the request: the key waits in the signer, unusable, until a second owner or admin approves it.
 */
export const exchangeAccountRoutes = (app: App, deps: ExchangeAccountRouteDeps) => {
  const { db, sessions, apiTokens, stepUp, passkeys, exchangeAccounts, egressIps, approvals } = deps
  /** 201/200 with the account when it applied; 202 `{ approval, account }` when it waits for a second person. */
  const answer = (reply: FastifyReply, applied: 200 | 201, result: Gated<ExchangeAccountView, ApprovalView>) =>
    result.status === 'applied' ? reply.code(applied).send(result.account) : reply.code(202).send({ approval: result.approval, account: result.account })
  const reader = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]
  const manager = [requireSession(sessions), authorizeWorkspace(db)]
  const sensitive = [...manager, requireStepUp(stepUp, { workspaceParam: 'workspaceId' })]
  const base = '/api/workspaces/:workspaceId/exchange-accounts'

  app.get(
    '/api/exchanges',
    { schema: { tags: ['exchanges'], response: { 200: z.object({ egressIps: z.array(z.string()), exchanges: z.array(z.record(z.string(), z.unknown())) }) } } },
    async () => ({ egressIps: [...egressIps], exchanges: catalogue.map((e) => ({ ...e }) as Record<string, unknown>) }),
  )

  // Viewers and API tokens read the mirror only: nothing they do reaches the signer (R41 as amended).
  app.get(base, { schema: { tags: ['exchanges'], params: ws, response: { 200: z.array(accountView) } }, config: { action: 'keys.read' }, preValidation: reader }, async (req) =>
    exchangeAccounts.list(req.params.workspaceId, { live: req.workspaceRole !== 'viewer' && req.actor?.token === undefined }),
  )
  app.get(
    `${base}/sealing-key`,
    { schema: { tags: ['exchanges'], params: ws, response: { 200: z.object({ publicKey: z.string(), algorithm: z.string(), maxEnvelopeAgeSeconds: z.number(), now: z.string() }) } }, config: { action: 'keys.manage' }, preValidation: manager },
    async () => exchangeAccounts.sealingKey(),
  )
  app.post(
    base,
    {
      schema: {
        tags: ['exchanges'],
        params: ws,
        body: z.object({ exchange: z.string().min(1).max(40), label, envelope: sealedEnvelope, testnet: z.boolean().optional() }).strict(),
        response: { 201: accountView, 202: keyApprovalPending },
      },
      config: { action: 'keys.manage' },
      preValidation: sensitive,
    },
    async (req, reply) => answer(reply, 201, await exchangeAccounts.connectGated(userActor(req), req.params.workspaceId, req.body, approvals, requestContext(req))),
  )
  app.post(
    `${base}/ed25519`,
    {
      schema: { tags: ['exchanges'], params: ws, body: z.object({ exchange: z.string().min(1).max(40), label }).strict(), response: { 201: z.object({ account: accountView, publicKeyPem: z.string() }) } },
      config: { action: 'keys.manage' },
      preValidation: sensitive,
    },
    async (req, reply) => reply.code(201).send(await exchangeAccounts.generate(userActor(req), req.params.workspaceId, req.body)),
  )
  app.post(
    `${base}/:id/api-key`,
    {
      schema: { tags: ['exchanges'], params: account, body: z.object({ apiKey: z.string().trim().min(8).max(200) }).strict(), response: { 200: accountView, 202: keyApprovalPending } },
      config: { action: 'keys.manage' },
      preValidation: sensitive,
    },
    async (req, reply) => answer(reply, 200, await exchangeAccounts.completeGeneratedGated(userActor(req), req.params.workspaceId, req.params.id, req.body.apiKey, approvals, requestContext(req))),
  )
  app.post(`${base}/:id/verify`, { schema: { tags: ['exchanges'], params: account, response: { 200: accountView } }, config: { action: 'keys.manage' }, preValidation: manager }, async (req) =>
    exchangeAccounts.reverify(userActor(req), req.params.workspaceId, req.params.id),
  )
  app.post(
    `${base}/:id/rotate`,
    { schema: { tags: ['exchanges'], params: account, body: z.object({ envelope: sealedEnvelope }).strict(), response: { 200: accountView, 202: keyApprovalPending } }, config: { action: 'keys.manage' }, preValidation: sensitive },
    async (req, reply) => answer(reply, 200, await exchangeAccounts.rotateGated(userActor(req), req.params.workspaceId, req.params.id, req.body.envelope, approvals, requestContext(req))),
  )
  app.post(
    `${base}/:id/disable`,
    { schema: { tags: ['exchanges'], params: account, body: z.object({ reason: z.string().trim().min(1).max(200).default('disabled by a member') }).strict(), response: { 200: accountView } }, config: { action: 'keys.manage' }, preValidation: manager },
    async (req) => exchangeAccounts.disable(userActor(req), req.params.workspaceId, req.params.id, req.body.reason),
  )
  app.delete(`${base}/:id`, { schema: { tags: ['exchanges'], params: account }, config: { action: 'keys.manage' }, preValidation: sensitive }, async (req, reply) => {
    await exchangeAccounts.remove(userActor(req), req.params.workspaceId, req.params.id)
    return reply.code(204).send()
  })
  app.put(
    `${base}/:id/limits`,
    {
      schema: {
        tags: ['exchanges'],
        params: account,
        body: z.object({ limits: keyLimits }).strict(),
        // 202: a widening waits for the signer's confirmation, or first for a second person (R42) where the workspace asks.
        response: { 200: z.object({ status: z.literal('applied'), account: accountView }), 202: z.union([pending, approvalPendingSchema.extend({ status: z.literal('pending_approval') })]) },
      },
      config: { action: 'keys.manage' },
      preValidation: sensitive,
    },
    async (req, reply) => {
      const result = await exchangeAccounts.setLimits(userActor(req), req.params.workspaceId, req.params.id, req.body.limits, { gate: approvals, ...requestContext(req) })
      return result.status === 'applied' ? reply.send(result) : reply.code(202).send(result)
    },
  )
  app.post(`${base}/:id/enable`, { schema: { tags: ['exchanges'], params: account, response: { 202: pending } }, config: { action: 'keys.manage' }, preValidation: sensitive }, async (req, reply) =>
    reply.code(202).send(await exchangeAccounts.requestEnable(userActor(req), req.params.workspaceId, req.params.id)),
  )

  // Widening confirmations: the signer verifies the passkey assertion itself, against the public keys it keeps.
  const widenings = '/api/workspaces/:workspaceId/key-widenings'
  app.get(widenings, { schema: { tags: ['exchanges'], params: ws, response: { 200: z.array(z.record(z.string(), z.unknown())) } }, config: { action: 'keys.manage' }, preValidation: manager }, async (req) =>
    exchangeAccounts.pendingWidenings(req.params.workspaceId),
  )
  app.post(`${widenings}/:operationId/options`, { schema: { tags: ['exchanges'], params: operation, response: { 200: webauthnOptions } }, config: { action: 'keys.manage' }, preValidation: manager }, async (req) => {
    const op = (await exchangeAccounts.pendingWidenings(req.params.workspaceId)).find((o) => o.operationId === req.params.operationId)
    if (!op) throw new AppError('NOT_FOUND', `operation "${req.params.operationId}" is not pending`)
    const s = sessionOf(req)
    if ((await passkeys.count(s.userId)) === 0) {
      throw new AppError('BAD_INPUT', `you have no passkey: this change takes effect at ${String(op.notBefore)} unless you cancel it (add a passkey to confirm changes at once)`, { reason: 'NO_PASSKEY' })
    }
    return asOptions(passkeys.authenticationOptions({ purpose: 'confirm', userId: s.userId, sessionId: s.sessionId, challenge: new Uint8Array(Buffer.from(String(op.challenge), 'base64url')) }))
  })
  app.post(
    `${widenings}/:operationId/confirm`,
    { schema: { tags: ['exchanges'], params: operation, body: z.object({ assertion: authenticationResponse }).strict(), response: { 200: z.record(z.string(), z.unknown()) } }, config: { action: 'keys.manage' }, preValidation: manager },
    async (req) => (await exchangeAccounts.confirmWidening(userActor(req), req.params.workspaceId, req.params.operationId, req.body.assertion)) as Record<string, unknown>,
  )
  app.post(`${widenings}/:operationId/cancel`, { schema: { tags: ['exchanges'], params: operation, response: { 200: z.record(z.string(), z.unknown()) } }, config: { action: 'keys.manage' }, preValidation: manager }, async (req) =>
    (await exchangeAccounts.cancelWidening(userActor(req), req.params.workspaceId, req.params.operationId)) as Record<string, unknown>,
  )
}

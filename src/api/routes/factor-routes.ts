import { z } from 'zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FactorService, SessionService, StepUp } from '../../auth/index.js'
import { AppError } from '../../lib/errors.js'
import type { App } from '../app-types.js'
import { requireSession, requireStepUp, sessionCookie, sessionOf } from '../session-guard.js'
import { asOptions, authenticationResponse, registrationResponse, webauthnOptions } from './webauthn-schemas.js'

const codes = z.object({ recoveryCodes: z.array(z.string()) })
const passkeyView = z.object({ id: z.string(), name: z.string(), createdAt: z.string(), lastUsedAt: z.string().nullable(), deviceType: z.string(), backedUp: z.boolean() })
const passkeyParams = z.object({ id: z.string().uuid('must be a passkey id') })
const passkeyName = z.string().trim().min(1, 'must not be empty').max(60, 'must be at most 60 characters')

export type FactorRouteDeps = { sessions: SessionService; stepUp: StepUp; factorService: FactorService }

const ctxOf = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id })

/** Step-up, the authenticator app, recovery codes and passkeys. */
export const factorRoutes = (app: App, { sessions, stepUp, factorService }: FactorRouteDeps) => {
  const signedIn = requireSession(sessions)
  const fresh = requireStepUp(stepUp)
  // Adding a factor is how a person meets a workspace's passkey policy: asking them for a passkey first would be a dead end.
  const enrolling = requireStepUp(stepUp, { enrolment: true })
  /** Enrolment rotates the session token (R29): the new cookie goes out with the answer. */
  const withRotated = (reply: FastifyReply, token: string) => reply.header('set-cookie', sessionCookie(token, sessions.policy.absoluteHours * 3600))

  app.post(
    '/api/auth/step-up',
    {
      schema: {
        tags: ['auth'],
        body: z.object({ password: z.string().min(1).max(1024).optional(), totp: z.string().max(20).optional(), recoveryCode: z.string().max(60).optional(), passkey: authenticationResponse.optional() }).strict(),
        response: { 200: z.object({ stepUpUntil: z.string() }) },
      },
      preValidation: signedIn,
    },
    async (req) => {
      const b = req.body
      const given = (['password', 'totp', 'recoveryCode', 'passkey'] as const).filter((k) => b[k] !== undefined)
      if (given.length !== 1) throw new AppError('BAD_INPUT', 'body: send exactly one of password, totp, recoveryCode or passkey')
      const proof =
        b.password !== undefined
          ? { password: b.password }
          : b.totp !== undefined
            ? { totp: b.totp }
            : b.recoveryCode !== undefined
              ? { recoveryCode: b.recoveryCode }
              : { passkey: b.passkey as z.infer<typeof authenticationResponse> }
      const { stepUpUntil } = await stepUp.stepUp(sessionOf(req), proof, ctxOf(req))
      return { stepUpUntil: stepUpUntil.toISOString() }
    },
  )
  app.post('/api/auth/step-up/passkey-options', { schema: { tags: ['auth'], response: { 200: webauthnOptions } }, preValidation: signedIn }, async (req) => asOptions(stepUp.passkeyOptions(sessionOf(req))))

  app.post(
    '/api/auth/totp/setup',
    { schema: { tags: ['two-factor'], response: { 200: z.object({ secret: z.string(), otpauthUri: z.string(), qrDataUrl: z.string() }) } }, preValidation: [signedIn, enrolling] },
    async (req, reply) => reply.header('cache-control', 'no-store').send(await factorService.beginTotp(sessionOf(req))),
  )
  app.post('/api/auth/totp/enable', { schema: { tags: ['two-factor'], body: z.object({ code: z.string().max(20) }).strict(), response: { 200: codes } }, preValidation: [signedIn, enrolling] }, async (req, reply) => {
    const { recoveryCodes, token } = await factorService.enableTotp(sessionOf(req), req.body.code, ctxOf(req))
    return withRotated(reply, token).header('cache-control', 'no-store').send({ recoveryCodes })
  })
  app.post('/api/auth/totp/disable', { schema: { tags: ['two-factor'] }, preValidation: [signedIn, fresh] }, async (req, reply) => {
    await factorService.disableTotp(sessionOf(req), ctxOf(req))
    return reply.code(204).send()
  })
  app.post('/api/auth/recovery-codes', { schema: { tags: ['two-factor'], response: { 200: codes } }, preValidation: [signedIn, fresh] }, async (req, reply) =>
    reply.header('cache-control', 'no-store').send({ recoveryCodes: await factorService.regenerateRecoveryCodes(sessionOf(req), ctxOf(req)) }),
  )

  app.get('/api/auth/passkeys', { schema: { tags: ['two-factor'], response: { 200: z.array(passkeyView) } }, preValidation: signedIn }, async (req) => factorService.listPasskeys(sessionOf(req)))
  app.post('/api/auth/passkeys/options', { schema: { tags: ['two-factor'], response: { 200: webauthnOptions } }, preValidation: [signedIn, enrolling] }, async (req) => asOptions(factorService.passkeyOptions(sessionOf(req))))
  app.post(
    '/api/auth/passkeys',
    { schema: { tags: ['two-factor'], body: z.object({ response: registrationResponse, name: passkeyName }).strict(), response: { 201: z.object({ id: z.string(), name: z.string(), recoveryCodes: z.array(z.string()) }) } }, preValidation: [signedIn, enrolling] },
    async (req, reply) => {
      const { id, name, recoveryCodes, token } = await factorService.addPasskey(sessionOf(req), req.body.response, req.body.name, ctxOf(req))
      return withRotated(reply, token).code(201).header('cache-control', 'no-store').send({ id, name, recoveryCodes })
    },
  )
  app.patch('/api/auth/passkeys/:id', { schema: { tags: ['two-factor'], params: passkeyParams, body: z.object({ name: passkeyName }).strict() }, preValidation: signedIn }, async (req, reply) => {
    await factorService.renamePasskey(sessionOf(req), req.params.id, req.body.name)
    return reply.code(204).send()
  })
  app.delete('/api/auth/passkeys/:id', { schema: { tags: ['two-factor'], params: passkeyParams }, preValidation: [signedIn, fresh] }, async (req, reply) => {
    await factorService.removePasskey(sessionOf(req), req.params.id, ctxOf(req))
    return reply.code(204).send()
  })
}

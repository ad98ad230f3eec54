import { z } from 'zod'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECONDS, emailAddress, type Devices, type MeReader, type LoginService, type SessionService, type SignedIn, type StepUp } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import { AppError } from '../../lib/errors.js'
import type { App } from '../app-types.js'
import { clearedSessionCookie, hostCookie, readCookie, requireSession, requireStepUp, sessionCookie, sessionOf } from '../session-guard.js'
import { asOptions, authenticationResponse, webauthnOptions } from './webauthn-schemas.js'

const ticket = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is the ticket from the password step')
/** One body for both steps, so the client has one sign-in route; which fields came decides the step. */
const loginBody = z
  .object({
    email: emailAddress.optional(),
    password: z.string().min(1, 'must not be empty').max(1024).optional(),
    ticket: ticket.optional(),
    totp: z.string().max(20).optional(),
    recoveryCode: z.string().max(60).optional(),
    passkey: authenticationResponse.optional(),
  })
  .strict()
const signedInBody = z.object({ status: z.literal('signed_in'), userId: z.string() })
const loginResult = z.union([signedInBody, z.object({ status: z.literal('second_factor'), ticket: z.string(), methods: z.array(z.enum(['totp', 'recovery_code', 'passkey'])) })])
const meBody = z.object({
  user: z.object({ id: z.string(), email: z.string(), displayName: z.string(), emailVerified: z.boolean(), antiPhishingCode: z.string().nullable() }),
  security: z.object({ totp: z.boolean(), passkeys: z.number(), recoveryCodesLeft: z.number() }),
  csrfToken: z.string(),
  workspaces: z.array(z.object({ id: z.string(), name: z.string(), role: z.string() })),
  stepUpUntil: z.string().nullable(),
})
const sessionView = z.object({
  id: z.string(),
  createdAt: z.string(),
  lastSeenAt: z.string(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  device: z.string(),
  place: z.string().nullable(),
  current: z.boolean(),
})
const deviceView = z.object({ id: z.string(), device: z.string(), firstSeenAt: z.string(), lastSeenAt: z.string(), lastIp: z.string().nullable() })

export type AuthRouteDeps = {
  db: Db
  login: LoginService
  sessions: SessionService
  me: Pick<MeReader, 'get'>
  stepUp: Pick<StepUp, 'require'>
  devices: Pick<Devices, 'list' | 'forget'>
  sessionMaxAgeSeconds: number
}

const contextOf = (req: FastifyRequest) => ({ ip: req.ip, userAgent: req.headers['user-agent'], requestId: req.id, deviceCookie: readCookie(req.headers.cookie, DEVICE_COOKIE) })

/** Sign-in (both steps, and passwordless), sign-out, who am I, and the user's own sessions and devices. */
export const authRoutes = (app: App, { login, sessions, me, devices, stepUp, sessionMaxAgeSeconds }: AuthRouteDeps) => {
  const signedIn = requireSession(sessions)

  const sendSignedIn = (reply: FastifyReply, result: SignedIn) => {
    const cookies = [sessionCookie(result.token, sessionMaxAgeSeconds)]
    if (result.deviceCookie) cookies.push(hostCookie(DEVICE_COOKIE, result.deviceCookie, DEVICE_COOKIE_MAX_AGE_SECONDS))
    return reply.header('set-cookie', cookies).header('cache-control', 'no-store').send({ status: 'signed_in' as const, userId: result.userId })
  }

  app.post('/api/auth/login', { schema: { tags: ['auth'], body: loginBody, response: { 200: loginResult } } }, async (req, reply) => {
    const b = req.body
    const ctx = contextOf(req)
    if (b.ticket !== undefined) {
      const proofs = [b.totp !== undefined, b.recoveryCode !== undefined, b.passkey !== undefined].filter(Boolean).length
      if (proofs !== 1 || b.email !== undefined || b.password !== undefined) throw new AppError('BAD_INPUT', 'body: with a ticket, send exactly one of totp, recoveryCode or passkey')
      const proof = b.totp !== undefined ? { totp: b.totp } : b.recoveryCode !== undefined ? { recoveryCode: b.recoveryCode } : { passkey: b.passkey as z.infer<typeof authenticationResponse> }
      return sendSignedIn(reply, await login.secondFactorStep(b.ticket, proof, ctx))
    }
    if (b.email === undefined || b.password === undefined) throw new AppError('BAD_INPUT', 'body: send email and password (or a ticket and a second factor)')
    if (b.totp !== undefined || b.recoveryCode !== undefined || b.passkey !== undefined) throw new AppError('BAD_INPUT', 'body: the second factor goes with the ticket from the password step')
    const result = await login.passwordStep(b.email, b.password, ctx)
    if (result.status === 'second_factor') return reply.header('cache-control', 'no-store').send(result)
    return sendSignedIn(reply, result)
  })

  app.post('/api/auth/login/passkey-options', { schema: { tags: ['auth'], body: z.object({ ticket }).strict(), response: { 200: webauthnOptions } } }, async (req) =>
    asOptions(login.secondFactorPasskeyOptions(req.body.ticket)),
  )
  app.post('/api/auth/passkey/options', { schema: { tags: ['auth'], body: z.object({}).strict().optional(), response: { 200: webauthnOptions } } }, async () => asOptions(login.passkeyOptions()))
  app.post('/api/auth/passkey/login', { schema: { tags: ['auth'], body: z.object({ response: authenticationResponse }).strict(), response: { 200: signedInBody } } }, async (req, reply) =>
    sendSignedIn(reply, await login.passkeyLogin(req.body.response, contextOf(req))),
  )

  app.post('/api/auth/logout', { schema: { tags: ['auth'] }, preValidation: signedIn }, async (req, reply) => {
    const s = sessionOf(req)
    await sessions.revoke(s.userId, s.sessionId, { how: 'signed_out', ip: req.ip, requestId: req.id })
    return reply.code(204).header('set-cookie', clearedSessionCookie()).send()
  })

  app.get('/api/me', { schema: { tags: ['auth'], response: { 200: meBody } }, preValidation: signedIn }, async (req, reply) => {
    const s = sessionOf(req)
    const view = await me.get(s.userId)
    if (!view) throw new AppError('UNAUTHENTICATED', 'sign in first')
    // A password-only confirmation does not count once the account has a second factor (step-up.ts
    // `require`): the dashboard must not believe it is confirmed, seal a key, and be asked anyway.
    const hasSecondFactor = view.security.totp || view.security.passkeys > 0
    const until = s.authenticatedWith === 'password' && hasSecondFactor ? undefined : sessions.stepUpUntil(s)
    return reply.header('cache-control', 'no-store').send({ ...view, csrfToken: sessions.csrfTokenFor(s.sessionId), stepUpUntil: until?.toISOString() ?? null })
  })

  app.get('/api/sessions', { schema: { tags: ['auth'], response: { 200: z.array(sessionView) } }, preValidation: signedIn }, async (req) => {
    const s = sessionOf(req)
    return sessions.list(s.userId, s.sessionId)
  })

  // R31: ending sessions needs a fresh proof, so a stolen session cannot throw the owner out.
  const fresh = requireStepUp(stepUp)
  app.delete('/api/sessions/:id', { schema: { tags: ['auth'], params: z.object({ id: z.string().uuid('must be a session id') }) }, preValidation: [signedIn, fresh] }, async (req, reply) => {
    await sessions.revoke(sessionOf(req).userId, req.params.id, { how: 'revoked', ip: req.ip, requestId: req.id })
    return reply.code(204).send()
  })

  app.post('/api/sessions/revoke-others', { schema: { tags: ['auth'], response: { 200: z.object({ revoked: z.number() }) } }, preValidation: [signedIn, fresh] }, async (req) => {
    const s = sessionOf(req)
    return { revoked: await sessions.revokeOthers(s.userId, s.sessionId, { ip: req.ip, requestId: req.id }) }
  })

  app.get('/api/devices', { schema: { tags: ['auth'], response: { 200: z.array(deviceView) } }, preValidation: signedIn }, async (req) => devices.list(sessionOf(req).userId))

  app.delete('/api/devices/:id', { schema: { tags: ['auth'], params: z.object({ id: z.string().uuid('must be a device id') }) }, preValidation: signedIn }, async (req, reply) => {
    await devices.forget(sessionOf(req).userId, req.params.id)
    return reply.code(204).send()
  })
}

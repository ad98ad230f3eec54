import { z } from 'zod'
import type { FastifyRequest } from 'fastify'
import { emailAddress, type AccountService, type SessionService, type SignupPolicy, type StepUp } from '../../auth/index.js'
import { AppError } from '../../lib/errors.js'
import type { App } from '../app-types.js'
import { requireSession, requireStepUp, sessionOf, sessionCookie } from '../session-guard.js'

const linkToken = z.object({ token: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is the token from the emailed link') }).strict()
const password = z.string().min(1, 'must not be empty').max(1024)
const checkEmail = z.object({ status: z.literal('check_email') })

export type AccountRouteDeps = {
  accounts: AccountService
  sessions: SessionService
  stepUp: Pick<StepUp, 'require'>
  signup: Pick<SignupPolicy, 'mode' | 'setMode' | 'isOpen'>
  isOperator: (userId: string) => Promise<boolean>
  sessionMaxAgeSeconds: number
}

const ctxOf = (req: FastifyRequest) => ({ ip: req.ip, requestId: req.id })

/** Sign-up, the emailed links, and changes to the account's password, email and anti-phishing code. */
export const accountRoutes = (app: App, { accounts, sessions, stepUp, signup, isOperator }: AccountRouteDeps) => {
  const signedIn = requireSession(sessions)
  const fresh = requireStepUp(stepUp)

  app.post(
    '/api/auth/register',
    {
      schema: {
        tags: ['account'],
        body: z
          .object({
            email: emailAddress,
            password,
            displayName: z.string().trim().min(1).max(80).optional(),
            /** The token of a workspace invitation for this address (`/invite#token=…`): admits sign-up where it is closed. */
            invitationToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'is the token from the invitation link').optional(),
          })
          .strict(),
        response: { 202: checkEmail },
      },
    },
    async (req, reply) => reply.code(202).send(await accounts.register(req.body, ctxOf(req))),
  )
  app.post('/api/auth/verify-email', { schema: { tags: ['account'], body: linkToken, response: { 200: z.object({ verified: z.literal(true) }) } } }, async (req) =>
    accounts.verifyEmail(req.body.token, ctxOf(req)),
  )
  app.post('/api/auth/password-reset/request', { schema: { tags: ['account'], body: z.object({ email: emailAddress }).strict(), response: { 202: checkEmail } } }, async (req, reply) =>
    reply.code(202).send(await accounts.requestPasswordReset(req.body.email, ctxOf(req))),
  )
  app.post(
    '/api/auth/password-reset',
    { schema: { tags: ['account'], body: linkToken.extend({ password }).strict(), response: { 200: z.object({ status: z.literal('password_changed'), secondFactorStillRequired: z.boolean() }) } } },
    async (req) => accounts.resetPassword(req.body.token, req.body.password, ctxOf(req)),
  )
  app.post('/api/auth/unlock', { schema: { tags: ['account'], body: linkToken, response: { 200: z.object({ status: z.literal('unlocked') }) } } }, async (req) => accounts.unlock(req.body.token, ctxOf(req)))
  app.post('/api/auth/not-me', { schema: { tags: ['account'], body: linkToken, response: { 200: z.object({ status: z.literal('locked') }) } } }, async (req) => accounts.notMe(req.body.token, ctxOf(req)))
  app.post('/api/auth/confirm-email', { schema: { tags: ['account'], body: linkToken, response: { 200: z.object({ status: z.literal('email_changed') }) } } }, async (req) =>
    accounts.confirmEmailChange(req.body.token, ctxOf(req)),
  )

  app.put(
    '/api/auth/password',
    { schema: { tags: ['account'], body: z.object({ currentPassword: password, newPassword: password }).strict() }, preValidation: [signedIn, fresh] },
    async (req, reply) => {
      const s = sessionOf(req)
      await accounts.changePassword(s, req.body.currentPassword, req.body.newPassword, ctxOf(req))
      // The password changed: this session gets a new token as well (R29).
      return reply.code(204).header('set-cookie', sessionCookie(await sessions.rotate(s.sessionId), sessions.policy.absoluteHours * 3600)).send()
    },
  )
  app.post('/api/auth/email', { schema: { tags: ['account'], body: z.object({ newEmail: emailAddress }).strict(), response: { 202: checkEmail } }, preValidation: [signedIn, fresh] }, async (req, reply) =>
    reply.code(202).send(await accounts.requestEmailChange(sessionOf(req), req.body.newEmail, ctxOf(req))),
  )
  app.put(
    '/api/auth/anti-phishing-code',
    { schema: { tags: ['account'], body: z.object({ code: z.string().regex(/^[A-Za-z0-9-]{4,20}$/, 'use 4 to 20 letters, digits or dashes') }).strict() }, preValidation: [signedIn, fresh] },
    async (req, reply) => {
      await accounts.setAntiPhishingCode(sessionOf(req), req.body.code, ctxOf(req))
      return reply.code(204).send()
    },
  )

  const signupMode = z.object({ mode: z.enum(['auto', 'open', 'invite']), open: z.boolean() })
  app.get('/api/instance/signup', { schema: { tags: ['instance'], response: { 200: signupMode } } }, async () => ({ mode: await signup.mode(), open: await signup.isOpen() }))
  app.put('/api/instance/signup', { schema: { tags: ['instance'], body: z.object({ mode: z.enum(['auto', 'open', 'invite']) }).strict(), response: { 200: signupMode } }, preValidation: [signedIn, fresh] }, async (req) => {
    if (!(await isOperator(sessionOf(req).userId))) throw new AppError('FORBIDDEN', 'only the instance operator can change who may sign up')
    await signup.setMode(req.body.mode)
    return { mode: await signup.mode(), open: await signup.isOpen() }
  })
}

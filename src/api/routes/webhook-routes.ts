import { z } from 'zod'
import type { FastifyError } from 'fastify'
import { AppError } from '../../lib/errors.js'
import type { App } from '../app-types.js'
import type { SignalIngress } from '../../trading/index.js'

const params = z.object({ botId: z.string().min(1).max(64) })
const accepted = z.object({ accepted: z.literal(true), signal: z.string(), action: z.string(), symbol: z.string() })

/** Signal webhooks are small JSON documents; anything larger is not a signal. */
export const WEBHOOK_BODY_LIMIT = 8 * 1024

/**
 * POST /api/hooks/signal/:botId — TradingView and other senders. No session and no cookie: the secret in
 * the JSON body (never the URL, which ends up in logs) is the credential, optionally with an HMAC header.
 * TradingView posts `text/plain` unless the message is valid JSON, so both are read as text here (in
 * this plugin scope only: the rest of the API stays JSON-only) and the raw text is what the HMAC covers.
 * Every refusal is a 4xx with a code and is logged with its verdict by the ingress; nothing is placed.
 */
export const webhookRoutes = (app: App, { ingress }: { ingress: Pick<SignalIngress, 'receive'> }) =>
  app.register(async (scope) => {
    scope.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) => done(null, body))
    // The app's handler would name the API's general body limit; a signal's own limit is the one that applies here.
    scope.setErrorHandler((err: FastifyError) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') throw new AppError('PAYLOAD_TOO_LARGE', `the signal body is larger than ${WEBHOOK_BODY_LIMIT} bytes`, { reason: 'BODY_TOO_LARGE' })
      throw err
    })
    const typed = scope as unknown as App
    typed.post(
      '/api/hooks/signal/:botId',
      { schema: { tags: ['webhooks'], params, response: { 202: accepted } }, bodyLimit: WEBHOOK_BODY_LIMIT },
      async (req, reply) => {
        const result = await ingress.receive({ botId: req.params.botId, rawBody: typeof req.body === 'string' ? req.body : '', headers: req.headers, sourceIp: req.ip })
        return reply.code(202).send({ accepted: true, signal: result.signalRowId, action: result.action, symbol: result.symbol })
      },
    )
  })

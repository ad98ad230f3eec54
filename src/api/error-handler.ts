import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod'
import { AppError, statusByCode, type ErrorCode } from '../lib/errors.js'

export type ErrorBody = { code: ErrorCode; message: string; requestId: string; reason?: string }

const send = (reply: FastifyReply, req: FastifyRequest, code: ErrorCode, message: string, reason?: string) =>
  reply
    .code(statusByCode[code])
    .type('application/json; charset=utf-8')
    .send({ code, message, requestId: req.id, ...(reason === undefined ? {} : { reason }) } satisfies ErrorBody)

/** `body.email: must be an email address` — the field, in the caller's words, and what to do. */
const validationMessage = (err: FastifyError): string => {
  const where = err.validationContext ?? 'request'
  const first = err.validation?.[0] as { keyword?: string; instancePath?: string; message?: string; params?: { keys?: unknown } } | undefined
  const path = (first?.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.')
  const field = `${where}${path ? `.${path}` : ''}`
  const keys = first?.params?.keys
  if (first?.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
    return `${field}: unknown field${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${String(k)}"`).join(', ')}`
  }
  return `${field}: ${first?.message ?? 'is invalid'}`
}

/**
 * The only place errors become HTTP. AppErrors keep their code and message; framework errors get a code
 * from the table; anything else is INTERNAL with no detail (the cause goes to the log, never the client).
 */
export const registerErrorHandler = (app: FastifyInstance, bodyLimitBytes: number) => {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err }, 'request failed')
      else req.log.info({ code: err.code }, 'request refused')
      return send(reply, req, err.code, err.status >= 500 && err.code === 'INTERNAL' ? 'internal error' : err.message, err.code === 'INTERNAL' ? undefined : err.reason)
    }
    if (hasZodFastifySchemaValidationErrors(err) || err.validation) return send(reply, req, 'BAD_INPUT', validationMessage(err))
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(reply, req, 'PAYLOAD_TOO_LARGE', `request body is larger than ${bodyLimitBytes} bytes`)
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(reply, req, 'UNSUPPORTED_MEDIA_TYPE', 'send the request body as application/json')
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return send(reply, req, 'BAD_INPUT', 'the request body is empty: send a JSON object')
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return send(reply, req, 'BAD_INPUT', 'the Content-Length header does not match the body')
    }
    if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return send(reply, req, 'BAD_INPUT', 'the request body is not valid JSON')
    if (err.statusCode === 404) return send(reply, req, 'NOT_FOUND', 'not found')
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
      req.log.info({ frameworkCode: err.code }, 'request refused')
      return send(reply, req, 'BAD_INPUT', 'the request could not be processed')
    }
    req.log.error({ err }, 'unhandled error')
    return send(reply, req, 'INTERNAL', 'internal error')
  })
}

/**
 * Unknown routes are NOT_FOUND; with a web app, a browser asking for HTML at a non-API path gets the
 * app shell instead, since the dashboard does its own routing.
 */
export const registerNotFoundHandler = (app: FastifyInstance, opts: { spaIndex?: string | undefined }) => {
  app.setNotFoundHandler((req, reply) => {
    const wantsHtml = req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')
    if (opts.spaIndex && wantsHtml && !req.url.startsWith('/api/')) return reply.type('text/html; charset=utf-8').sendFile(opts.spaIndex)
    return send(reply, req, 'NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0] ?? ''}`)
  })
}

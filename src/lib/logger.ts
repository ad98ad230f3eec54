import { pino, type Logger as PinoLogger, type DestinationStream } from 'pino'
import { redactSecrets, redactUrl, scrubSecretValues } from './redact.js'

export type Logger = PinoLogger

export type LoggerOptions = {
  level: string
  name?: string
  /** Defaults to stdout; tests pass a stream to read what was logged. No pino transports (no worker threads). */
  destination?: DestinationStream
}

/**
 * Structured JSON logs with redaction of every secret-named field at any depth.
 * The header paths cover what Fastify would log if a request object ever slipped through.
 */
export const createLogger = ({ level, name, destination }: LoggerOptions): Logger =>
  pino(
    {
      level,
      ...(name ? { name } : {}),
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]'], censor: '[redacted]' },
      // HTTP request logs carry the path but never query values (tokens in emailed links).
      serializers: {
        req: (req: { method?: string; url?: string; id?: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url ?? ''), id: req.id, ip: req.ip }),
        err: (e: Error) => {
          const out = pino.stdSerializers.err(e)
          return { ...out, message: scrubSecretValues(out.message), ...(out.stack ? { stack: scrubSecretValues(out.stack) } : {}) }
        },
      },
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactSecrets(object) as Record<string, unknown>,
      },
    },
    destination,
  )

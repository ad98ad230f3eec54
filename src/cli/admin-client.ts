import { request } from 'node:http'
import { AppError, statusByCode, type ErrorCode } from '../lib/errors.js'

/** Calls a verb on the running instance's admin socket. @throws AppError with the instance's message */
export const callAdmin = (socketPath: string, verb: string, body: Record<string, unknown> = {}, timeoutMs = 120_000): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(body)
    const req = request({ socketPath, path: `/${verb}`, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { ok?: boolean; result?: unknown; code?: string; message?: string }
          if (parsed.ok) return resolve(parsed.result)
          const code = (parsed.code && parsed.code in statusByCode ? parsed.code : 'INTERNAL') as ErrorCode
          reject(new AppError(code, parsed.message ?? 'the running instance refused the request'))
        } catch (err) {
          reject(new AppError('INTERNAL', 'unreadable answer from the admin socket', { cause: err }))
        }
      })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', (err) =>
      reject(new AppError('UNAVAILABLE', `cannot reach the running instance at ${socketPath} (${(err as NodeJS.ErrnoException).code ?? err.message}): is it still running?`, { cause: err })),
    )
    req.end(payload)
  })

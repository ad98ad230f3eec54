import { connect, isIP, type Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import { randomUUID } from 'node:crypto'
import { AppError, statusByCode, type ErrorCode } from '../lib/errors.js'
import { signerResponse, type SignerAuditEvent, type SignerOp, type SignerParams, type OperatorOp } from './signer-types.js'

export type SignerCallResult<T = unknown> = { result: T; events: SignerAuditEvent[]; timings?: Record<string, number> | undefined }

export type SignerTls = { host: string; port: number; cert: Buffer; key: Buffer; ca: Buffer }
export type SignerClientOptions = (
  | { socketPath: string; tls?: undefined }
  | { socketPath?: undefined; /** A signer on another host: mutual TLS 1.3 with the api's client certificate. */ tls: SignerTls }
) & { timeoutMs?: number; /** The operator token (operator socket only). */ auth?: string }

/**
 * The api's side of the signer RPC. It carries requests and results only: there is no operation that
 * could return key material. Reconnects on demand; a request that times out is failed, never resent
 * (an order may have reached the exchange: the journal decides).
 */
export const createSignerClient = ({ socketPath, tls, timeoutMs = 15_000, auth }: SignerClientOptions) => {
  let socket: Socket | undefined
  let connecting: Promise<Socket> | undefined
  const pending = new Map<string, { resolve: (v: SignerCallResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>()

  const failAll = (err: Error) => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer)
      p.reject(err)
      pending.delete(id)
    }
  }

  const open = (): Promise<Socket> => {
    if (socket && !socket.destroyed) return Promise.resolve(socket)
    connecting ??= new Promise<Socket>((resolve, reject) => {
      const s = tls
        ? tlsConnect({ host: tls.host, port: tls.port, cert: tls.cert, key: tls.key, ca: tls.ca, minVersion: 'TLSv1.3', ...(isIP(tls.host) ? {} : { servername: tls.host }) })
        : connect(socketPath ?? '')
      let buffered = ''
      s.setEncoding('utf8')
      s.once(tls ? 'secureConnect' : 'connect', () => {
        socket = s
        connecting = undefined
        resolve(s)
      })
      s.on('data', (chunk: string) => {
        buffered += chunk
        let nl: number
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl)
          buffered = buffered.slice(nl + 1)
          let raw: unknown
          try {
            raw = JSON.parse(line)
          } catch {
            continue // a malformed line is dropped; its request times out
          }
          const parsed = signerResponse.safeParse(raw)
          if (!parsed.success) continue
          const p = pending.get(parsed.data.id)
          if (!p) continue
          pending.delete(parsed.data.id)
          clearTimeout(p.timer)
          if (parsed.data.ok) p.resolve({ result: parsed.data.result, events: parsed.data.events, timings: parsed.data.timings })
          else {
            const code = (parsed.data.error.code in statusByCode ? parsed.data.error.code : 'INTERNAL') as ErrorCode
            const err = new AppError(code, parsed.data.error.message, { details: { events: parsed.data.events }, ...(parsed.data.error.reason ? { reason: parsed.data.error.reason } : {}) })
            p.reject(err)
          }
        }
      })
      s.on('error', (err) => {
        connecting = undefined
        reject(new AppError('UNAVAILABLE', 'the signer is not reachable', { cause: err }))
      })
      s.on('close', () => {
        socket = undefined
        failAll(new AppError('UNAVAILABLE', 'the connection to the signer closed'))
      })
    })
    return connecting
  }

  const call = async <T = unknown>(op: string, workspaceId: string | null, params: unknown, requestId: string = randomUUID()): Promise<SignerCallResult<T>> => {
    const s = await open()
    const id = randomUUID()
    return new Promise<SignerCallResult<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id)
        reject(new AppError('UNAVAILABLE', `the signer did not answer ${op} in time`))
      }, timeoutMs)
      pending.set(id, { resolve: resolve as (v: SignerCallResult) => void, reject, timer })
      s.write(`${JSON.stringify({ id, op, workspaceId, requestId, params, ...(auth ? { auth } : {}) })}\n`)
    })
  }

  return {
    call: <O extends SignerOp | OperatorOp>(op: O, workspaceId: string | null, params: O extends SignerOp ? SignerParams<O> : Record<string, unknown>, requestId?: string) =>
      call(op, workspaceId, params, requestId),
    /** `ok` when the signer answers `status` now. */
    ping: async (): Promise<string> => {
      await call('status', null, {})
      return 'ok'
    },
    close: () => {
      socket?.destroy()
      failAll(new AppError('UNAVAILABLE', 'signer client closed'))
    },
  }
}
export type SignerClient = ReturnType<typeof createSignerClient>

import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * The HTTP core shared by the OKX, Bybit and Binance USDⓈ-M families (the Binance spot emulator keeps its
 * own): request log, fund-movement log, latency, fault injection and clock skew. A family supplies one
 * `handle` function that authenticates and answers; the core never sees secrets, and the family fills in
 * the log entry's auth fields (`apiKey`, `isSigned`, `isSignatureValid`) as its checks get that far.
 * Invariant: every request is logged before it is handled; signature values are never logged.
 */
export type FailureMode = 'timeout' | 'error500' | 'afterExecute-timeout'
export type FailNextOptions = { mode: FailureMode; times?: number; method?: string }

export type EmulatorRequest = {
  method: string
  path: string
  /** The query string as sent, without `?`. */
  rawQuery: string
  /** The body as sent ('' for GET). */
  rawBody: string
  query: Record<string, string>
  headers: IncomingHttpHeaders
  remoteAddress: string
  nowMs: number
}

export type RequestLogEntry = {
  time: number
  method: string
  path: string
  /** Query and body parameters (JSON bodies flattened one level), with signatures left out. */
  params: Record<string, unknown>
  apiKey: string | undefined
  remoteAddress: string
  isSigned: boolean
  /** undefined when the checks stopped before the signature (unknown key, refused IP, public route). */
  isSignatureValid: boolean | undefined
  status: number | undefined
  /** The venue's error code, if one was sent. */
  errorCode?: string
  fault?: FailureMode
}

export type FundMovementRecord = {
  time: number
  kind: 'withdraw' | 'transfer'
  path: string
  apiKey: string | undefined
  remoteAddress: string
  status: number
  isAccepted: boolean
}

export type Reply = {
  status: number
  body: unknown
  headers?: Record<string, string>
  errorCode?: string
  /** Set by fund-moving routes, accepted or refused, so tests can prove nothing reached them. */
  fundMovement?: 'withdraw' | 'transfer'
}

export type EmulatorServerOptions = {
  port?: number
  latencyMs?: number
  clockOffsetMs?: number
  /** Parameter names never written to the log (signatures). */
  redact?: readonly string[]
  handle: (req: EmulatorRequest, entry: RequestLogEntry, now: () => number) => Reply | Promise<Reply>
}

export const normalizeAddress = (address: string | undefined) => (address ?? '').replace(/^::ffff:/, '')

export const headerOf = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name.toLowerCase()]
  return Array.isArray(v) ? v[0] : v
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const loggedParams = (query: Record<string, string>, rawBody: string, redact: readonly string[]): Record<string, unknown> => {
  let body: Record<string, unknown> = {}
  if (rawBody) {
    try {
      const parsed: unknown = JSON.parse(rawBody)
      body = Array.isArray(parsed) ? { '[]': parsed } : typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {}
    } catch {
      body = Object.fromEntries(new URLSearchParams(rawBody))
    }
  }
  const all: Record<string, unknown> = { ...body, ...query }
  for (const name of redact) delete all[name]
  return all
}

export const startEmulatorServer = async (options: EmulatorServerOptions) => {
  let clockOffsetMs = options.clockOffsetMs ?? 0
  let latencyMs = options.latencyMs ?? 0
  const now = () => Date.now() + clockOffsetMs
  const requests: RequestLogEntry[] = []
  const withdrawals: FundMovementRecord[] = []
  const faults: { pathPrefix: string; method: string | undefined; mode: FailureMode; remaining: number }[] = []

  const takeFault = (method: string, path: string): FailureMode | undefined => {
    const i = faults.findIndex((f) => path.startsWith(f.pathPrefix) && (f.method === undefined || f.method === method))
    const fault = faults[i]
    if (!fault) return undefined
    if (--fault.remaining <= 0) faults.splice(i, 1)
    return fault.mode
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = req.method ?? 'GET'
    const url = new URL(req.url ?? '/', 'http://emulator')
    const rawQuery = url.search.slice(1)
    const rawBody = method === 'GET' ? '' : await readBody(req)
    const query = Object.fromEntries(new URLSearchParams(rawQuery))
    const remoteAddress = normalizeAddress(req.socket.remoteAddress)
    const entry: RequestLogEntry = {
      time: now(), method, path: url.pathname, params: loggedParams(query, rawBody, options.redact ?? []), apiKey: undefined, remoteAddress,
      isSigned: false, isSignatureValid: undefined, status: undefined,
    }
    requests.push(entry)
    if (latencyMs > 0) await sleep(latencyMs)

    const fault = takeFault(method, url.pathname)
    if (fault) entry.fault = fault
    if (fault === 'timeout') return // never answered; close() drops the connection
    if (fault === 'error500') {
      entry.status = 500
      res.writeHead(500, { 'Content-Type': 'text/html' })
      res.end('<html><body><h1>500 Internal Server Error</h1></body></html>')
      return
    }
    const reply = await options.handle({ method, path: url.pathname, rawQuery, rawBody, query, headers: req.headers, remoteAddress, nowMs: now() }, entry, now)
    entry.status = reply.status
    if (reply.errorCode !== undefined) entry.errorCode = reply.errorCode
    if (reply.fundMovement) {
      withdrawals.push({ time: entry.time, kind: reply.fundMovement, path: url.pathname, apiKey: entry.apiKey, remoteAddress, status: reply.status, isAccepted: reply.errorCode === undefined })
    }
    if (fault === 'afterExecute-timeout') return // executed; the answer is withheld
    res.writeHead(reply.status, { 'Content-Type': 'application/json;charset=UTF-8', ...reply.headers })
    res.end(JSON.stringify(reply.body))
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      res.writeHead(500, { 'Content-Type': 'text/plain' })
      res.end(`emulator bug: ${err instanceof Error ? err.message : String(err)}`)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    /** Every request, in arrival order. */
    requests: requests as readonly RequestLogEntry[],
    clearRequests: () => {
      requests.length = 0
    },
    /** Every request that reached a fund-moving route (withdraw, transfer), accepted or refused. */
    withdrawals: withdrawals as readonly FundMovementRecord[],
    /** Makes the next `times` (default 1) requests whose path starts with `pathPrefix` fail as `mode` says. */
    failNext: (pathPrefix: string, { mode, times = 1, method }: FailNextOptions) => {
      faults.push({ pathPrefix, method: method?.toUpperCase(), mode, remaining: times })
    },
    setClockOffset: (ms: number) => {
      clockOffsetMs = ms
    },
    setLatency: (ms: number) => {
      latencyMs = ms
    },
    now,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}
export type EmulatorServer = Awaited<ReturnType<typeof startEmulatorServer>>

/** Compares two signatures in constant time (a length difference returns false at once). */
export const constantTimeEquals = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

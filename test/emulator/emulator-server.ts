import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * The HTTP core every emulator family stands on: request log, latency, fault injection, clock skew, body
 * reading and close. A family supplies `logEntry` (what its log records of a request, before anything is
 * handled) and `handle` (authenticate and answer); the core never sees secrets. `startEmulatorServer`
 * below adds the log entry, error codes and fund-movement log the OKX, Bybit and Binance USDⓈ-M families
 * share. Invariant: every request is logged before it is handled; signature values are never logged.
 */

/** 'timeout': never answered, not executed. 'error500': HTTP 500, not executed. 'afterExecute-timeout': executed, never answered. */
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

/** What the core records of every request; each family's log entry adds its own fields. */
export type LogEntryBase = {
  time: number
  method: string
  path: string
  remoteAddress: string
  /** The HTTP status sent (for an afterExecute-timeout fault: the one withheld); undefined while pending or for a timeout fault. */
  status: number | undefined
  fault?: FailureMode
}

/** What every family's start function takes (Binance adds `weightLimitPerMinute`; EXMO has no clock skew). */
export type EmulatorOptions<A> = {
  accounts: A[]
  /** Prices per market in the venue's own id (`BTCUSDT`, OKX `BTC-USDT`, EXMO `BTC_USDT`); defaults cover every emulated market. */
  prices?: Record<string, string>
  /** Server clock skew: the emulator's clock is `Date.now() + clockOffsetMs`. */
  clockOffsetMs?: number
  /** Delay before each request is handled. */
  latencyMs?: number
  port?: number
}

/** What a family's log entry records about authentication, filled in as far as its checks get. */
export type AuthLogFields = {
  apiKey: string | undefined
  isSigned: boolean
  /** undefined when the checks stopped before the signature (unknown key, refused IP, public route). */
  isSignatureValid: boolean | undefined
}

export type HttpReply = { status: number; body: unknown; headers?: Record<string, string> }

/** The emulator's clock: real time plus a skew tests can change. */
export const createEmulatorClock = (offsetMs = 0) => {
  let offset = offsetMs
  return {
    now: () => Date.now() + offset,
    setOffset: (ms: number) => {
      offset = ms
    },
  }
}
export type EmulatorClock = ReturnType<typeof createEmulatorClock>

export type EmulatorCoreOptions<E extends LogEntryBase> = {
  port?: number
  latencyMs?: number
  clock?: EmulatorClock
  logEntry: (req: EmulatorRequest, base: LogEntryBase) => E
  /** Fills in the entry's own fields as its checks get that far; the core sets `status`. */
  handle: (req: EmulatorRequest, entry: E) => HttpReply | Promise<HttpReply>
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

export const startEmulatorCore = async <E extends LogEntryBase>(options: EmulatorCoreOptions<E>) => {
  const clock = options.clock ?? createEmulatorClock()
  const { now } = clock
  let latencyMs = options.latencyMs ?? 0
  const requests: E[] = []
  const faults: { pathPrefix: string; method: string | undefined; mode: FailureMode; remaining: number }[] = []

  const takeFault = (method: string, path: string): FailureMode | undefined => {
    const i = faults.findIndex((f) => path.startsWith(f.pathPrefix) && (f.method === undefined || f.method === method))
    const fault = faults[i]
    if (!fault) return undefined
    if (--fault.remaining <= 0) faults.splice(i, 1)
    return fault.mode
  }

  const handle = async (incoming: IncomingMessage, res: ServerResponse) => {
    const method = incoming.method ?? 'GET'
    const url = new URL(incoming.url ?? '/', 'http://emulator')
    const rawQuery = url.search.slice(1)
    const rawBody = method === 'GET' ? '' : await readBody(incoming)
    const remoteAddress = normalizeAddress(incoming.socket.remoteAddress)
    const req: EmulatorRequest = {
      method, path: url.pathname, rawQuery, rawBody, query: Object.fromEntries(new URLSearchParams(rawQuery)), headers: incoming.headers, remoteAddress, nowMs: now(),
    }
    const entry = options.logEntry(req, { time: req.nowMs, method, path: url.pathname, remoteAddress, status: undefined })
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
    const reply = await options.handle({ ...req, nowMs: now() }, entry)
    entry.status = reply.status
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
    requests: requests as readonly E[],
    clearRequests: () => {
      requests.length = 0
    },
    /** Makes the next `times` (default 1) requests whose path starts with `pathPrefix` fail as `mode` says. */
    failNext: (pathPrefix: string, { mode, times = 1, method }: FailNextOptions) => {
      faults.push({ pathPrefix, method: method?.toUpperCase(), mode, remaining: times })
    },
    setClockOffset: clock.setOffset,
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

export type RequestLogEntry = LogEntryBase & AuthLogFields & {
  /** Query and body parameters (JSON bodies flattened one level), with signatures left out. */
  params: Record<string, unknown>
  /** The venue's error code, if one was sent. */
  errorCode?: string
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

export type Reply = HttpReply & {
  errorCode?: string
  /** Set by fund-moving routes, accepted or refused, so tests can prove nothing reached them. */
  fundMovement?: 'withdraw' | 'transfer'
}

export type EmulatorServerOptions = Omit<EmulatorCoreOptions<RequestLogEntry>, 'logEntry' | 'handle'> & {
  /** Parameter names never written to the log (signatures). */
  redact?: readonly string[]
  /** Authenticates and answers, filling in the entry's auth fields (`apiKey`, `isSigned`, `isSignatureValid`). */
  handle: (req: EmulatorRequest, entry: RequestLogEntry) => Reply | Promise<Reply>
}

/** A JSON body as parameters (an array under `'[]'`, as OKX's batch routes send it); undefined when it is not a JSON object or array. */
const parseJsonBody = (rawBody: string): Record<string, unknown> | undefined => {
  try {
    const parsed: unknown = rawBody ? JSON.parse(rawBody) : {}
    return Array.isArray(parsed) ? { '[]': parsed } : typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : undefined
  } catch {
    return undefined
  }
}

/** A JSON venue's parameters: the query, or a POST's JSON body; `bad` is the venue's error for a body that is neither. */
export const jsonParams = (req: EmulatorRequest, bad: () => Error): Record<string, unknown> => {
  if (req.method !== 'POST') return req.query
  const body = parseJsonBody(req.rawBody)
  if (!body) throw bad()
  return body
}

const loggedParams = (query: Record<string, string>, rawBody: string, redact: readonly string[]): Record<string, unknown> => {
  const body = rawBody ? (parseJsonBody(rawBody) ?? Object.fromEntries(new URLSearchParams(rawBody))) : {}
  const all: Record<string, unknown> = { ...body, ...query }
  for (const name of redact) delete all[name]
  return all
}

/** A family's `account(apiKey)` control: the live state of a key, which tests change at run time. */
export const accountLookup =
  <A>(accounts: ReadonlyMap<string, A>) =>
  (apiKey: string): A => {
    const found = accounts.get(apiKey)
    if (!found) throw new Error('the emulator has no account with that API key')
    return found
  }

/** The core with the OKX, Bybit and Binance USDⓈ-M log entry, and their record of every fund-moving request. */
export const startEmulatorServer = async ({ redact = [], handle, ...options }: EmulatorServerOptions) => {
  const withdrawals: FundMovementRecord[] = []
  const core = await startEmulatorCore<RequestLogEntry>({
    ...options,
    logEntry: (req, base) => ({ ...base, params: loggedParams(req.query, req.rawBody, redact), apiKey: undefined, isSigned: false, isSignatureValid: undefined }),
    handle: async (req, entry) => {
      const reply = await handle(req, entry)
      if (reply.errorCode !== undefined) entry.errorCode = reply.errorCode
      if (reply.fundMovement) {
        withdrawals.push({ time: entry.time, kind: reply.fundMovement, path: req.path, apiKey: entry.apiKey, remoteAddress: req.remoteAddress, status: reply.status, isAccepted: reply.errorCode === undefined })
      }
      return reply
    },
  })
  return {
    ...core,
    /** Every request that reached a fund-moving route (withdraw, transfer), accepted or refused. */
    withdrawals: withdrawals as readonly FundMovementRecord[],
  }
}
export type EmulatorServer = Awaited<ReturnType<typeof startEmulatorServer>>

/** Compares two signatures in constant time (a length difference returns false at once). */
export const constantTimeEquals = (a: string, b: string) => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

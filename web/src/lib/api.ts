import { isRecord, stringField } from './json-guards'

/**
 * Typed fetch for the Bulwark HTTP API.
 *
 * The server answers errors with `{ code, message, requestId }` (codes are UPPER_SNAKE, messages are
 * written for people). Every failure here — server error, unreadable body, network, timeout — becomes
 * an `ApiError` whose `message` is a sentence a person can act on, so components never format errors.
 */

/** Codes the client itself produces, next to the server's own (BAD_INPUT, FORBIDDEN, CONFLICT, …). */
export type ClientErrorCode = 'NETWORK' | 'TIMEOUT' | 'BAD_RESPONSE'

export class ApiError extends Error {
  readonly code: string
  readonly status: number | undefined
  readonly requestId: string | undefined
  /** The server's refinement of the code, e.g. BREACHED_OR_COMMON for PASSWORD_REJECTED. */
  readonly reason: string | undefined

  constructor(code: string, message: string, opts: { status?: number; requestId?: string; reason?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause })
    this.name = 'ApiError'
    this.code = code
    this.status = opts.status
    this.requestId = opts.requestId
    this.reason = opts.reason
  }
}

export const isApiError = (value: unknown): value is ApiError => value instanceof ApiError

/** Any thrown value as an ApiError; something that is not one is a bug on this page. */
export const asApiError = (value: unknown): ApiError =>
  isApiError(value)
    ? value
    : new ApiError('CLIENT_ERROR', 'Something went wrong on this page. Reload it and try again.', { cause: value })

/** Turns the parsed body into the caller's type, or throws when the shape is not what it expects. */
export type Parse<T> = (body: unknown) => T

/** Reads the answer of a 204 (or any answer whose body the caller does not need). */
export const parseNothing: Parse<undefined> = () => undefined

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** The shape of `fetch` this module uses; tests pass a fake server in its place. */
export type FetchFn = (path: string, init: RequestInit) => Promise<Response>

// Called through a wrapper so `fetch` never runs with a foreign `this` ("Illegal invocation").
const browserFetch: FetchFn = (path, init) => globalThis.fetch(path, init)

export type RequestOptions = {
  method?: HttpMethod
  /** Sent as JSON. */
  body?: unknown
  /** Extra request headers, such as `x-csrf-token`. */
  headers?: Readonly<Record<string, string>>
  /** Defaults to the browser's fetch. */
  fetch?: FetchFn
  /** Aborts the request when the caller no longer needs it (not reported as an error by callers). */
  signal?: AbortSignal
  /** Gives up after this long. Unset for requests that must not be abandoned half-way (writes). */
  timeoutMs?: number
  /** Non-2xx statuses whose body is a normal answer, e.g. 503 from `/readyz`. */
  acceptStatuses?: readonly number[]
}

// Used when the server sends no message (it sends none for INTERNAL) or the body is not JSON.
const fallbackMessages: Readonly<Record<string, string>> = {
  BAD_INPUT: 'The server did not accept the request. Check the fields and try again.',
  UNAUTHENTICATED: 'You are not signed in.',
  FORBIDDEN: 'The server refused this request.',
  NOT_FOUND: 'The server does not know this resource.',
  CONFLICT: 'The request conflicts with the current state. Reload the page and try again.',
  RATE_LIMITED: 'Too many attempts. Wait a minute and try again.',
  INTERNAL: 'The server hit an unexpected error. Its log has the details.',
}

// A gateway status without a Bulwark error body means a proxy (or the dev server) got no answer.
const gatewayStatuses: readonly number[] = [502, 503, 504]

const fallbackMessage = (code: string, status: number): string =>
  fallbackMessages[code] ??
  (gatewayStatuses.includes(status)
    ? `The Bulwark server is not answering (status ${status}). Check that it is running.`
    : `The server answered with status ${status}.`)

const readJson = async (response: Response): Promise<unknown> => {
  const text = await response.text()
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return undefined
  }
}

const errorFromBody = (status: number, body: unknown): ApiError => {
  const code = (isRecord(body) ? stringField(body, 'code') : undefined) ?? `HTTP_${status}`
  const message = isRecord(body) ? stringField(body, 'message')?.trim() : undefined
  const requestId = isRecord(body) ? stringField(body, 'requestId') : undefined
  const reason = isRecord(body) ? stringField(body, 'reason') : undefined
  return new ApiError(code, message === undefined || message === '' ? fallbackMessage(code, status) : message, {
    status,
    ...(requestId === undefined ? {} : { requestId }),
    ...(reason === undefined ? {} : { reason }),
  })
}

/** Aborts when the caller's signal aborts or the timeout passes, and says which it was. */
const linkSignals = (outer: AbortSignal | undefined, timeoutMs: number | undefined) => {
  const controller = new AbortController()
  let hasTimedOut = false
  const onOuterAbort = () => controller.abort()
  if (outer?.aborted === true) controller.abort()
  outer?.addEventListener('abort', onOuterAbort, { once: true })
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          hasTimedOut = true
          controller.abort()
        }, timeoutMs)
  const release = () => {
    if (timer !== undefined) clearTimeout(timer)
    outer?.removeEventListener('abort', onOuterAbort)
  }
  return { signal: controller.signal, hasTimedOut: () => hasTimedOut, release }
}

/**
 * Sends one request and returns the parsed body of a successful answer.
 *
 * @throws ApiError for every failure; a caller's own abort rethrows the browser's AbortError.
 */
export const requestJson = async <T>(path: string, parse: Parse<T>, options: RequestOptions = {}): Promise<T> => {
  const { method = 'GET', body, signal, timeoutMs, acceptStatuses = [], fetch: send = browserFetch } = options
  const linked = linkSignals(signal, timeoutMs)
  try {
    const headers: Record<string, string> = { ...options.headers, Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    let response: Response
    let parsed: unknown
    try {
      response = await send(path, {
        method,
        headers,
        credentials: 'same-origin',
        cache: 'no-store',
        signal: linked.signal,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      parsed = await readJson(response)
    } catch (cause) {
      if (linked.hasTimedOut()) {
        throw new ApiError('TIMEOUT', `The server did not answer within ${Math.round((timeoutMs ?? 0) / 1000)} seconds.`, { cause })
      }
      if (signal?.aborted === true) throw cause
      throw new ApiError('NETWORK', 'Could not reach the Bulwark server. Check that it is running and try again.', { cause })
    }
    if (!response.ok && !acceptStatuses.includes(response.status)) throw errorFromBody(response.status, parsed)
    try {
      return parse(parsed)
    } catch (cause) {
      throw new ApiError('BAD_RESPONSE', 'The server sent an answer this page cannot read. Is the dashboard up to date?', {
        status: response.status,
        cause,
      })
    }
  } finally {
    linked.release()
  }
}

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
  /**
   * The request field a validation error is about, as the request named it ("label", "limits.symbols"):
   * a form that has that field shows `fieldProblem` on it (see `fieldErrorOf`).
   */
  readonly field: string | undefined
  /** What is wrong with `field`, as a sentence without the field's name ("Must not be empty."). */
  readonly fieldProblem: string | undefined

  constructor(
    code: string,
    message: string,
    opts: { status?: number; requestId?: string; reason?: string; field?: string; fieldProblem?: string; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause })
    this.name = 'ApiError'
    this.code = code
    this.status = opts.status
    this.requestId = opts.requestId
    this.reason = opts.reason
    this.field = opts.field
    this.fieldProblem = opts.fieldProblem
  }
}

export const isApiError = (value: unknown): value is ApiError => value instanceof ApiError

/** Any thrown value as an ApiError; something that is not one is a bug on this page. */
export const asApiError = (value: unknown): ApiError =>
  isApiError(value)
    ? value
    : new ApiError('CLIENT_ERROR', 'Something went wrong on this page. Reload it and try again.', { cause: value })

/**
 * Turns the parsed body into the caller's type, or throws when the shape is not what it expects. The
 * answer's HTTP status comes along for the parsers that tell two successful answers apart (200 applied,
 * 202 waiting for approval: see `parseGated` in team-parsers.ts); it is absent when a test calls a parser.
 */
export type Parse<T> = (body: unknown, status?: number) => T

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

/**
 * A sentence for every code the server (src/lib/errors.ts) and this client produce. The server's own
 * message is more precise and is shown when it sends one; these stand in when it sends none (INTERNAL),
 * when the body is not JSON, and for the client's codes. A test keeps the list in step with the server.
 */
export const codeSentences: Readonly<Record<string, string>> = {
  BAD_INPUT: 'The server did not accept the request. Check the fields and try again.',
  UNAUTHENTICATED: 'You are not signed in, or the password or code was wrong.',
  STEP_UP_REQUIRED: "This change needs you to confirm it's you first.",
  OTP_REPLAY: 'That code was already used. Wait for the next code from your app and enter it.',
  PASSWORD_REJECTED: 'Choose a different password: this one is not safe enough.',
  FORBIDDEN: 'You are not allowed to do this in this workspace.',
  PHISHING_RESISTANT_FACTOR_REQUIRED: 'This workspace asks for a passkey for this: add one under Security.',
  EMAIL_NOT_VERIFIED: 'Verify your email address first: open the link Bulwark sent you.',
  SECOND_FACTOR_REQUIRED: 'Turn on two-factor sign-in (an authenticator app or a passkey) under Security first.',
  NOT_FOUND: 'The server does not know this resource. It may have been removed: reload the page.',
  CONFLICT: 'The request conflicts with the current state. Reload the page and try again.',
  PAYLOAD_TOO_LARGE: 'That is too much to send at once. Shorten it and try again.',
  UNSUPPORTED_MEDIA_TYPE: 'This page sent the request in a form the server does not take. Reload the page.',
  KEY_HAS_WITHDRAW_PERMISSION: 'Bulwark refused the key: it can withdraw or transfer funds. Remove that permission at the exchange.',
  KEY_LIMIT_EXCEEDED: "The order is outside this key's limits. Lower it, or raise the limits.",
  KEY_NOT_IP_RESTRICTED: 'This workspace accepts only keys restricted to IP addresses. Add the addresses at the exchange and connect the key again.',
  IP_NOT_ALLOWED: "This workspace can't be used from your current network address. Ask an owner to add it to the allowed ranges.",
  EXCHANGE_REJECTED: 'The exchange refused the request.',
  VAULT_SEALED: 'The vault is sealed: the operator has to unseal it before keys can be used.',
  WORKSPACE_LOCKED: 'The workspace is locked down. Unlock it in the Security center first.',
  RATE_LIMITED: 'Too many attempts. Wait a minute and try again.',
  INTERNAL: 'The server hit an unexpected error. Its log has the details.',
  INTEGRITY_FAILED: 'Stored data failed its integrity check. Nothing was used; tell your operator.',
  EXCHANGE_AUTH: 'The exchange did not accept the key. Check that it was copied exactly and is still enabled.',
  UNAVAILABLE: 'This part of Bulwark is not available right now. Try again in a minute.',
  KEY_UNAVAILABLE: 'The signer is not answering, so the key cannot be used right now. Try again in a minute.',
  EXCHANGE_UNAVAILABLE: 'The exchange could not be reached. Try again in a few minutes.',
  NETWORK: 'Could not reach the Bulwark server. Check that it is running and try again.',
  TIMEOUT: 'The server did not answer in time. Try again.',
  BAD_RESPONSE: 'The server sent an answer this page cannot read. Is the dashboard up to date?',
  CLIENT_ERROR: 'Something went wrong on this page. Reload it and try again.',
  STEP_UP_CANCELLED: 'Nothing was changed: the confirmation was cancelled.',
}

// A gateway status without a Bulwark error body means a proxy (or the dev server) got no answer.
const gatewayStatuses: readonly number[] = [502, 503, 504]

const fallbackMessage = (code: string, status: number): string =>
  codeSentences[code] ??
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

/** "apiKey" → "api key", "display_name" → "display name", "limits.symbols" → "symbols". */
const fieldWords = (path: string): string =>
  (path.split('.').filter((part) => !/^\d+$/.test(part)).at(-1) ?? path)
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase()

const sentence = (text: string): string => {
  const trimmed = text.trim()
  if (trimmed === '') return trimmed
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1)
  return /[.!?]$/.test(capital) ? capital : `${capital}.`
}

/**
 * The server words a schema error as "body.label: must not be empty" (src/api/error-handler.ts): the
 * part of the request, the field's path, and the problem. That becomes the field ("label"), the problem
 * as a sentence ("Must not be empty."), and a message that names the field for where it is shown alone.
 */
export const parseValidationMessage = (message: string): { field: string; fieldProblem: string; message: string } | undefined => {
  const match = /^body\.([A-Za-z0-9_.-]+): (.+)$/s.exec(message.trim())
  if (match === null) return undefined
  const [, field = '', problem = ''] = match
  const words = fieldWords(field)
  return { field, fieldProblem: sentence(problem), message: sentence(`${words}: ${problem}`) }
}

const errorFromBody = (status: number, body: unknown): ApiError => {
  const code = (isRecord(body) ? stringField(body, 'code') : undefined) ?? `HTTP_${status}`
  const message = isRecord(body) ? stringField(body, 'message')?.trim() : undefined
  const requestId = isRecord(body) ? stringField(body, 'requestId') : undefined
  const reason = isRecord(body) ? stringField(body, 'reason') : undefined
  const validation = code === 'BAD_INPUT' && message !== undefined ? parseValidationMessage(message) : undefined
  return new ApiError(code, validation?.message ?? (message === undefined || message === '' ? fallbackMessage(code, status) : message), {
    status,
    ...(requestId === undefined ? {} : { requestId }),
    ...(reason === undefined ? {} : { reason }),
    ...(validation === undefined ? {} : { field: validation.field, fieldProblem: validation.fieldProblem }),
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
      return parse(parsed, response.status)
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

/**
 * Codes that are always about one field of a form, whatever the server's words: PASSWORD_REJECTED is
 * about the new password, a wrong or reused code about the code field. Keyed by code, valued by the
 * form's field name (as the request names it).
 */
export type FieldsByCode = Readonly<Record<string, string>>

/** The form field an error is about: the one a schema error names, or the one its code is always about. */
export const errorField = (error: Pick<ApiError, 'code' | 'field'> | undefined, fieldsByCode: FieldsByCode = {}): string | undefined =>
  error === undefined ? undefined : (error.field ?? fieldsByCode[error.code])

/** The label of the form field an error is about, from the form's request name → label map ("allowedIps.2" → allowedIps's). */
export const errorFieldLabel = (
  error: Pick<ApiError, 'code' | 'field'> | undefined,
  labels: Readonly<Record<string, string>>,
  fieldsByCode: FieldsByCode = {},
): string | undefined => {
  const about = errorField(error, fieldsByCode)
  return about === undefined ? undefined : (labels[about] ?? Object.entries(labels).find(([field]) => about.startsWith(`${field}.`))?.[1])
}

/**
 * The problem to show on a form field (aria-invalid, aria-describedby), when `error` is about it: a
 * schema error naming it, or a code in `fieldsByCode` pointing at it. The error notice by the button
 * then only points at the field (ActionError `fields`).
 */
export const fieldErrorOf = (
  error: Pick<ApiError, 'code' | 'message' | 'field' | 'fieldProblem'> | undefined,
  field: string,
  fieldsByCode: FieldsByCode = {},
): string | undefined => {
  const about = errorField(error, fieldsByCode)
  // "allowedIps.2" is about the allowedIps field: one input holds the whole list.
  if (error === undefined || about === undefined || !(about === field || about.startsWith(`${field}.`))) return undefined
  // "password: it is too short" names the field again; on the field itself that is noise.
  return error.fieldProblem ?? sentence(error.message.replace(/^[a-z][A-Za-z]*: /, ''))
}

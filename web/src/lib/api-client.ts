import { isApiError, parseNothing, requestJson, type FetchFn, type HttpMethod, type Parse } from './api'
import { singleFlight, withStepUp } from './step-up'

/**
 * The one way pages talk to the API once accounts exist. On top of `requestJson` it:
 * - sends the session's CSRF token (from GET /api/me) with every change;
 * - answers STEP_UP_REQUIRED by asking the person to confirm it's them, then repeats the request once;
 * - notices when the session has ended, so the app can show the sign-in page.
 */

export const READ_TIMEOUT_MS = 10_000
export const CSRF_HEADER = 'x-csrf-token'
const ME_PATH = '/api/me'

export type ApiClientDeps = {
  /** Defaults to the browser's fetch. */
  fetch?: FetchFn
  /** The current session's CSRF token, or undefined when signed out. */
  csrfToken: () => string | undefined
  /**
   * Asks the person to confirm it's them. Resolves once POST /api/auth/step-up has succeeded; rejects
   * (with STEP_UP_CANCELLED) when they give up.
   */
  confirmIdentity: () => Promise<void>
  /** Told when a signed-in request finds the session gone (expired, revoked elsewhere, account locked). */
  onSessionEnded: () => void
}

export type ReadOptions = {
  signal?: AbortSignal
  /** False for the session probe itself (GET /api/me at start), whose 401 just means "signed out". */
  reportsSessionEnd?: boolean
}

export type WriteOptions = {
  /** False for the step-up request itself: it must never open a second step-up. */
  canStepUp?: boolean
  /** Extra headers, such as `Idempotency-Key`; sent with every attempt, the repeat after a step-up too. */
  headers?: Readonly<Record<string, string>>
}

export const createApiClient = (deps: ApiClientDeps) => {
  const { fetch, csrfToken, onSessionEnded } = deps
  const confirmIdentity = singleFlight(() => deps.confirmIdentity())

  /**
   * A write can fail with UNAUTHENTICATED for a wrong password or code, not only for an ended session
   * (the server uses the one code for both). Asking /api/me tells them apart.
   */
  const checkSessionAfter = async (error: unknown): Promise<void> => {
    if (!isApiError(error) || error.code !== 'UNAUTHENTICATED' || csrfToken() === undefined) return
    try {
      await requestJson(ME_PATH, parseNothing, { timeoutMs: READ_TIMEOUT_MS, ...(fetch === undefined ? {} : { fetch }) })
    } catch (probeError) {
      if (isApiError(probeError) && probeError.code === 'UNAUTHENTICATED') onSessionEnded()
    }
  }

  /** GET as the signed-in user (or anyone, for public reads). */
  const read = async <T>(path: string, parse: Parse<T>, options: ReadOptions = {}): Promise<T> => {
    const { signal, reportsSessionEnd = true } = options
    try {
      return await requestJson(path, parse, {
        timeoutMs: READ_TIMEOUT_MS,
        ...(signal === undefined ? {} : { signal }),
        ...(fetch === undefined ? {} : { fetch }),
      })
    } catch (error) {
      if (reportsSessionEnd && csrfToken() !== undefined && isApiError(error) && error.code === 'UNAUTHENTICATED') onSessionEnded()
      throw error
    }
  }

  /**
   * A change. No timeout: abandoning a write half-way would leave the page unsure whether it happened.
   * The CSRF token is read for each attempt, so the repeat after a step-up carries the current one.
   */
  const write = async <T>(method: Exclude<HttpMethod, 'GET'>, path: string, parse: Parse<T>, body?: unknown, options: WriteOptions = {}): Promise<T> => {
    const send = () => {
      const token = csrfToken()
      return requestJson(path, parse, {
        method,
        ...(body === undefined ? {} : { body }),
        headers: { ...options.headers, ...(token === undefined ? {} : { [CSRF_HEADER]: token }) },
        ...(fetch === undefined ? {} : { fetch }),
      })
    }
    try {
      return options.canStepUp === false ? await send() : await withStepUp(send, confirmIdentity)
    } catch (error) {
      await checkSessionAfter(error)
      throw error
    }
  }

  return {
    read,
    write,
    /**
     * Opens the same "confirm it's you" dialog ahead of a change, for a page that must not send its
     * request twice: sealed credentials expire minutes after sealing, so the connect form asks first.
     * Rejects with STEP_UP_CANCELLED when the person gives up.
     */
    confirmIdentity,
  }
}

export type ApiClient = ReturnType<typeof createApiClient>

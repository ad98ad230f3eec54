import { describe, expect, it } from 'vitest'
import { stepUp } from '../api/auth/mutations'
import { fetchMe } from '../api/account/queries'
import { changePassword, setAntiPhishingCode } from '../api/account/mutations'
import { ApiError, type FetchFn } from './api'
import { createApiClient, type ApiClient } from './api-client'
import { stepUpCancelled } from './step-up'

/**
 * A fake Bulwark server with the contract's step-up and CSRF rules, so the client's logic runs against
 * answers shaped like the real ones: changes need `x-csrf-token` and a step-up younger than its
 * window; POST /api/auth/step-up accepts the TOTP code 123456; GET /api/me answers 401 once the
 * session has ended.
 */
const CSRF = 'csrf-token-1'
const GOOD_TOTP = '123456'
const GOOD_PASSWORD = 'correct horse battery staple'

type Call = { method: string; path: string; csrf: string | null; body: unknown }

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
const error = (status: number, code: string, message: string) => json(status, { code, message, requestId: 'req-test' })

const me = {
  user: { id: 'u1', email: 'ada@example.com', displayName: null, emailVerified: true, antiPhishingCode: null },
  security: { totp: true, passkeys: 0, recoveryCodesLeft: 10 },
  csrfToken: CSRF,
  workspaces: [{ id: 'w1', name: 'Personal', role: 'owner' }],
  stepUpUntil: null,
}

const createFakeServer = (options: { isStepUpAlwaysRequired?: boolean; isStepUpRouteBroken?: boolean } = {}) => {
  const calls: Call[] = []
  let isSteppedUp = false
  let isSessionAlive = true

  const fetch: FetchFn = async (path, init) => {
    const method = init.method ?? 'GET'
    const csrf = new Headers(init.headers).get('x-csrf-token')
    const body: unknown = typeof init.body === 'string' ? JSON.parse(init.body) : undefined
    calls.push({ method, path, csrf, body })
    if (!isSessionAlive) return error(401, 'UNAUTHENTICATED', 'sign in first (no session, or it has ended)')
    if (method === 'GET' && path === '/api/me') return json(200, me)
    if (method !== 'GET' && csrf !== CSRF) return error(403, 'FORBIDDEN', 'missing or wrong CSRF token: reload the page and try again')
    if (method === 'POST' && path === '/api/auth/step-up') {
      if (options.isStepUpRouteBroken === true) return error(401, 'STEP_UP_REQUIRED', 'confirm it is you first')
      if ((body as { totp?: string }).totp !== GOOD_TOTP) return error(401, 'UNAUTHENTICATED', 'that code is not valid')
      isSteppedUp = true
      return json(200, { stepUpUntil: '2030-01-01T00:05:00.000Z' })
    }
    if (method === 'PUT' && path === '/api/auth/password') {
      if ((body as { currentPassword?: string }).currentPassword !== GOOD_PASSWORD) return error(401, 'UNAUTHENTICATED', 'the current password is wrong')
      return new Response(null, { status: 204 })
    }
    if (method === 'PUT' && path === '/api/auth/anti-phishing-code') {
      if (!isSteppedUp || options.isStepUpAlwaysRequired === true) return error(401, 'STEP_UP_REQUIRED', 'confirm it is you first')
      return new Response(null, { status: 204 })
    }
    return error(404, 'NOT_FOUND', `no route ${method} ${path}`)
  }

  return {
    fetch,
    calls,
    endSession: () => {
      isSessionAlive = false
    },
    /** "PUT /api/auth/anti-phishing-code", … in order. */
    requestLine: () => calls.map((call) => `${call.method} ${call.path}`),
  }
}

type Harness = { client: ApiClient; server: ReturnType<typeof createFakeServer>; confirmations: () => number; endedSessions: () => number }

type HarnessOptions = {
  /** Plays the step-up dialog; by default the person types the right TOTP code. */
  confirm?: (client: ApiClient) => Promise<void>
  /** Whether the page is signed in (has a CSRF token from /api/me). */
  isSignedIn?: boolean
}

const typeRightCode = async (client: ApiClient) => {
  await stepUp(client, { totp: GOOD_TOTP })
}

/** A client as App builds it. */
const harness = (server: ReturnType<typeof createFakeServer>, { confirm = typeRightCode, isSignedIn = true }: HarnessOptions = {}): Harness => {
  const csrfToken = isSignedIn ? CSRF : undefined
  let confirmations = 0
  let endedSessions = 0
  const client: ApiClient = createApiClient({
    fetch: server.fetch,
    csrfToken: () => csrfToken,
    confirmIdentity: () => {
      confirmations += 1
      return confirm(client)
    },
    onSessionEnded: () => {
      endedSessions += 1
    },
  })
  return { client, server, confirmations: () => confirmations, endedSessions: () => endedSessions }
}

const failureOf = async (promise: Promise<unknown>): Promise<ApiError> => {
  try {
    await promise
  } catch (caught) {
    if (caught instanceof ApiError) return caught
    throw caught
  }
  throw new Error('expected the request to fail')
}

describe('the API client and step-up', () => {
  it('asks the person to confirm once when a change needs step-up, then repeats the change', async () => {
    const { client, server, confirmations } = harness(createFakeServer())
    await expect(setAntiPhishingCode(client, 'blue-heron')).resolves.toBeUndefined()
    expect(confirmations()).toBe(1)
    expect(server.requestLine()).toEqual(['PUT /api/auth/anti-phishing-code', 'POST /api/auth/step-up', 'PUT /api/auth/anti-phishing-code'])
    expect(server.calls[2]?.body).toEqual({ code: 'blue-heron' })
  })

  it('sends the CSRF token with every write, including the repeat and the step-up, and never with reads', async () => {
    const { client, server } = harness(createFakeServer())
    await fetchMe(client)
    await setAntiPhishingCode(client, 'blue-heron')
    expect(server.calls.map((call) => [call.method, call.csrf])).toEqual([
      ['GET', null],
      ['PUT', CSRF],
      ['POST', CSRF],
      ['PUT', CSRF],
    ])
  })

  it('does not repeat the change when the person cancels the confirmation', async () => {
    const { client, server } = harness(createFakeServer(), { confirm: () => Promise.reject(stepUpCancelled()) })
    const failure = await failureOf(setAntiPhishingCode(client, 'blue-heron'))
    expect(failure.code).toBe('STEP_UP_CANCELLED')
    expect(server.requestLine()).toEqual(['PUT /api/auth/anti-phishing-code'])
  })

  it('repeats at most once: a second STEP_UP_REQUIRED reaches the caller instead of another dialog', async () => {
    const { client, server, confirmations } = harness(createFakeServer({ isStepUpAlwaysRequired: true }))
    const failure = await failureOf(setAntiPhishingCode(client, 'blue-heron'))
    expect(failure.code).toBe('STEP_UP_REQUIRED')
    expect(confirmations()).toBe(1)
    expect(server.requestLine().filter((line) => line.startsWith('PUT'))).toHaveLength(2)
  })

  it('opens one confirmation for changes refused at the same time, and repeats each of them', async () => {
    const { client, server, confirmations } = harness(createFakeServer())
    await Promise.all([setAntiPhishingCode(client, 'first-code'), setAntiPhishingCode(client, 'second-code')])
    expect(confirmations()).toBe(1)
    const repeated = server.calls.filter((call) => call.method === 'PUT').map((call) => (call.body as { code: string }).code)
    expect(repeated.sort()).toEqual(['first-code', 'first-code', 'second-code', 'second-code'])
  })

  it('keeps the dialog open on a wrong code: the failed step-up reaches the dialog, not the waiting change', async () => {
    let wrongAttempts = 0
    const { client, server, endedSessions } = harness(createFakeServer(), {
      confirm: async (c) => {
        // The dialog shows the first failure and the person types the right code next.
        const wrong = await failureOf(stepUp(c, { totp: '000000' }))
        expect(wrong.message).toBe('that code is not valid')
        wrongAttempts += 1
        await stepUp(c, { totp: GOOD_TOTP })
      },
    })
    await setAntiPhishingCode(client, 'blue-heron')
    expect(wrongAttempts).toBe(1)
    expect(endedSessions()).toBe(0) // a wrong code is UNAUTHENTICATED too, but /api/me says the session lives
    expect(server.requestLine().filter((line) => line === 'PUT /api/auth/anti-phishing-code')).toHaveLength(2)
  })

  it('never opens a step-up for the step-up request itself', async () => {
    const { client, confirmations } = harness(createFakeServer({ isStepUpRouteBroken: true }))
    const failure = await failureOf(stepUp(client, { totp: GOOD_TOTP }))
    expect(failure.code).toBe('STEP_UP_REQUIRED')
    expect(confirmations()).toBe(0)
  })

  it('tells a wrong password apart from an ended session by asking /api/me', async () => {
    const server = createFakeServer()
    const { client, endedSessions } = harness(server)
    const wrong = await failureOf(changePassword(client, 'not my password', 'a brand new passphrase here'))
    expect(wrong).toMatchObject({ code: 'UNAUTHENTICATED', message: 'the current password is wrong' })
    expect(endedSessions()).toBe(0)

    server.endSession()
    await failureOf(changePassword(client, GOOD_PASSWORD, 'a brand new passphrase here'))
    expect(endedSessions()).toBe(1)
    expect(server.requestLine().slice(-2)).toEqual(['PUT /api/auth/password', 'GET /api/me'])
  })

  it('reports an ended session from a signed-in read, but not from the session probe or while signed out', async () => {
    const server = createFakeServer()
    server.endSession()
    const signedIn = harness(server)
    await failureOf(fetchMe(signedIn.client)) // the probe: 401 just means "signed out"
    expect(signedIn.endedSessions()).toBe(0)
    await failureOf(signedIn.client.read('/api/sessions', () => []))
    expect(signedIn.endedSessions()).toBe(1)

    const signedOut = harness(server, { isSignedIn: false })
    await failureOf(signedOut.client.read('/api/sessions', () => []))
    await failureOf(signedOut.client.write('POST', '/api/auth/login', () => undefined, { email: 'a@b', password: 'x' }))
    expect(signedOut.endedSessions()).toBe(0)
  })
})

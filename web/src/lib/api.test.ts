import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, codeSentences, errorFieldLabel, fieldErrorOf, parseNothing, parseValidationMessage, requestJson } from './api'

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

const passThrough = (body: unknown) => body

const failureOf = async (promise: Promise<unknown>): Promise<ApiError> => {
  try {
    await promise
  } catch (error) {
    if (error instanceof ApiError) return error
    throw error
  }
  throw new Error('expected the request to fail')
}

afterEach(() => {
  vi.unstubAllGlobals()
})

describe('requestJson', () => {
  it('throws the server error body as an ApiError with code, message and request id', async () => {
    vi.stubGlobal('fetch', async () => json(403, { code: 'FORBIDDEN', message: 'The setup token is wrong or has expired.', requestId: 'req-1' }))
    const error = await failureOf(requestJson('/api/setup', passThrough, { method: 'POST', body: {} }))
    expect(error).toMatchObject({ code: 'FORBIDDEN', message: 'The setup token is wrong or has expired.', requestId: 'req-1', status: 403 })
  })

  it('writes a sentence when the server sends no message', async () => {
    vi.stubGlobal('fetch', async () => json(500, { code: 'INTERNAL', requestId: 'req-2' }))
    const error = await failureOf(requestJson('/api/version', passThrough))
    expect(error.code).toBe('INTERNAL')
    expect(error.message).toBe('The server hit an unexpected error. Its log has the details.')
  })

  it('hands the answer’s status to the parser, so 200 and 202 can mean different things', async () => {
    const seen: (number | undefined)[] = []
    const parse = (body: unknown, status?: number) => {
      seen.push(status)
      return body
    }
    vi.stubGlobal('fetch', async () => json(202, { approval: { id: 'a1' } }))
    await requestJson('/api/workspaces/w/members/u', parse, { method: 'PATCH', body: { role: 'admin' } })
    vi.stubGlobal('fetch', async () => json(200, { role: 'admin' }))
    await requestJson('/api/workspaces/w/members/u', parse, { method: 'PATCH', body: { role: 'admin' } })
    expect(seen).toEqual([202, 200])
  })

  it('reads an accepted non-2xx status as an answer', async () => {
    vi.stubGlobal('fetch', async () => json(503, { status: 'not_ready' }))
    await expect(requestJson('/readyz', passThrough, { acceptStatuses: [503] })).resolves.toEqual({ status: 'not_ready' })
  })

  it('reports a non-JSON error page by its status', async () => {
    vi.stubGlobal('fetch', async () => new Response('<html>Not here</html>', { status: 404 }))
    const error = await failureOf(requestJson('/api/version', passThrough))
    expect(error).toMatchObject({ code: 'HTTP_404', message: 'The server answered with status 404.' })
  })

  it('says the server is not answering when a proxy returns a bare gateway error', async () => {
    vi.stubGlobal('fetch', async () => new Response('Bad gateway', { status: 502 }))
    const error = await failureOf(requestJson('/readyz', passThrough, { acceptStatuses: [503] }))
    expect(error).toMatchObject({
      code: 'HTTP_502',
      message: 'The Bulwark server is not answering (status 502). Check that it is running.',
    })
  })

  it('reports an unreachable server as NETWORK and an unreadable answer as BAD_RESPONSE', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch')
    })
    expect((await failureOf(requestJson('/api/version', passThrough))).code).toBe('NETWORK')
    vi.stubGlobal('fetch', async () => json(200, { unexpected: true }))
    const reject = () => {
      throw new Error('shape')
    }
    expect((await failureOf(requestJson('/api/version', reject))).code).toBe('BAD_RESPONSE')
  })

  it('gives up after the timeout with TIMEOUT', async () => {
    vi.stubGlobal(
      'fetch',
      (_path: string, init: RequestInit) =>
        new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    )
    const error = await failureOf(requestJson('/api/version', passThrough, { timeoutMs: 10 }))
    expect(error.code).toBe('TIMEOUT')
  })

  it('keeps the reason the server gives beside the code', async () => {
    vi.stubGlobal('fetch', async () =>
      json(400, { code: 'PASSWORD_REJECTED', message: 'this password appears in breach lists', reason: 'BREACHED_OR_COMMON', requestId: 'req-3' }),
    )
    const error = await failureOf(requestJson('/api/auth/register', passThrough, { method: 'POST', body: {} }))
    expect(error).toMatchObject({ code: 'PASSWORD_REJECTED', reason: 'BREACHED_OR_COMMON', status: 400 })
  })

  it('sends extra headers and uses the fetch it is given', async () => {
    const seen: { path: string; init: RequestInit }[] = []
    const fakeFetch = async (path: string, init: RequestInit) => {
      seen.push({ path, init })
      return new Response(null, { status: 204 })
    }
    const result = await requestJson('/api/sessions/s1', parseNothing, { method: 'DELETE', headers: { 'x-csrf-token': 'abc' }, fetch: fakeFetch })
    expect(result).toBeUndefined()
    expect(seen).toHaveLength(1)
    const headers = new Headers(seen[0]?.init.headers)
    expect(seen[0]?.init.method).toBe('DELETE')
    expect(headers.get('x-csrf-token')).toBe('abc')
    expect(headers.get('accept')).toBe('application/json')
    expect(headers.get('content-type')).toBeNull() // no body, no JSON content type
  })
})

describe('errors as sentences', () => {
  it('has a sentence for every code the server can send', () => {
    // Read as text: the web app imports nothing from src/ but shared types.
    const errors = readFileSync(join(process.cwd(), 'src', 'lib', 'errors.ts'), 'utf8')
    const table = /statusByCode = \{([\s\S]*?)\} as const/.exec(errors)?.[1] ?? ''
    const codes = [...table.matchAll(/^\s*([A-Z_]+):/gm)].map((match) => match[1])
    expect(codes.length).toBeGreaterThan(20)
    for (const code of codes) expect(codeSentences[code ?? ''], code).toMatch(/^[A-Z].*[.!?]$/)
  })

  it('puts a schema error on the field it names, as a sentence', () => {
    expect(parseValidationMessage('body.label: must be at most 60 characters')).toEqual({
      field: 'label',
      fieldProblem: 'Must be at most 60 characters.',
      message: 'Label: must be at most 60 characters.',
    })
    expect(parseValidationMessage('body.displayName: Too long')).toMatchObject({ field: 'displayName', message: 'Display name: Too long.' })
    expect(parseValidationMessage('body.limits.symbols.0: must be a symbol such as BTC/USDT')).toMatchObject({ field: 'limits.symbols.0', message: 'Symbols: must be a symbol such as BTC/USDT.' })
    // Not about a body field: left as the server wrote it.
    expect(parseValidationMessage('params.workspaceId: must be a workspace id')).toBeUndefined()
    expect(parseValidationMessage('the request body is not valid JSON')).toBeUndefined()
  })

  it('carries the field of a 400 from the server, for the form to show on that field', async () => {
    vi.stubGlobal('fetch', async () => json(400, { code: 'BAD_INPUT', message: 'body.name: must not be empty', requestId: 'req-4' }))
    const error = await failureOf(requestJson('/api/tokens', passThrough, { method: 'POST', body: {} }))
    expect(error).toMatchObject({ code: 'BAD_INPUT', field: 'name', fieldProblem: 'Must not be empty.', message: 'Name: must not be empty.' })
    expect(fieldErrorOf(error, 'name')).toBe('Must not be empty.')
    expect(fieldErrorOf(error, 'scopes')).toBeUndefined()
    expect(fieldErrorOf(undefined, 'name')).toBeUndefined()
  })

  it("writes the code's sentence when a refusal comes without a message", async () => {
    vi.stubGlobal('fetch', async () => json(429, { code: 'RATE_LIMITED' }))
    expect((await failureOf(requestJson('/api/auth/login', passThrough, { method: 'POST', body: {} }))).message).toBe('Too many attempts. Wait a minute and try again.')
  })

  it('puts refusals that are always about one field on it, without repeating its name', () => {
    const rejected = new ApiError('PASSWORD_REJECTED', 'password: it appears in lists of breached passwords', { reason: 'BREACHED_OR_COMMON' })
    expect(fieldErrorOf(rejected, 'newPassword', { PASSWORD_REJECTED: 'newPassword' })).toBe('It appears in lists of breached passwords.')
    expect(fieldErrorOf(rejected, 'newPassword')).toBeUndefined() // not mapped: stays by the button
    const wrongCode = new ApiError('FORBIDDEN', 'that code is not right')
    expect(fieldErrorOf(wrongCode, 'proof', { FORBIDDEN: 'proof' })).toBe('That code is not right.')
  })

  it('finds the field of a list item and its label', () => {
    const error = new ApiError('BAD_INPUT', 'AllowedIps: must be an IP address or CIDR range.', { field: 'allowedIps.2', fieldProblem: 'Must be an IP address or CIDR range.' })
    expect(fieldErrorOf(error, 'allowedIps')).toBe('Must be an IP address or CIDR range.')
    expect(fieldErrorOf(error, 'allowed')).toBeUndefined()
    expect(errorFieldLabel(error, { name: 'Token name', allowedIps: 'Allowed IP ranges' })).toBe('Allowed IP ranges')
    expect(errorFieldLabel(new ApiError('CONFLICT', 'taken'), { name: 'Token name' })).toBeUndefined()
  })
})

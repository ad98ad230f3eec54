import { existsSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { isDeepStrictEqual } from 'node:util'
import { and, eq, inArray } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../support/databases.js'
import { PASSWORD, startFullPlatform, type Credentials, type FullPlatform, type Method, type Reply, type Session } from '../support/full-platform.js'
import { randomApiKey, randomHmacSecret } from '../emulator/emulator-fixtures.js'
import { routeTableOf } from '../../src/api/app.js'
import { isAllowed, tokenScopeFor, type Action } from '../../src/auth/index.js'
import { schema, type ApiTokenScope, type Role } from '../../src/db/index.js'
import { createManualClock } from '../../src/lib/clock.js'
import { newId } from '../../src/lib/ids.js'
import { createAlerts } from '../../src/monitoring/index.js'

const { roles } = schema
const scopeRank: Record<ApiTokenScope, number> = { read: 0, trade: 1, admin: 2 }
/** Least privileged first: what a lower role may do to a scratch workspace never hides a higher role's answer. */
const rolesUpward: readonly Role[] = ['viewer', 'trader', 'admin', 'owner']

/**
 * Who may call each route that is not under /api/workspaces/:workspaceId. A route missing here fails
 * the test: a new route must be classified (and so thought about) the day it is added.
 * - public: anyone, no credentials (health, sign-in, sign-up, and the links emailed to people, whose
 *   one-time token in the body is the credential);
 * - session: a signed-in person (an API token is refused);
 * - operator: the instance operator's session only;
 * - metrics: the Prometheus bearer token only (neither a session nor an API token);
 * - webhook: a Signal Bot's webhook, whose secret in the body is the credential.
 */
type Access = 'public' | 'session' | 'operator' | 'metrics' | 'webhook'
const platformRoutes: Record<string, Access> = {
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /api/version': 'public',
  'GET /api/openapi.json': 'public',
  'GET /api/setup': 'public',
  'POST /api/setup': 'public',
  'POST /api/auth/login': 'public',
  'POST /api/auth/login/passkey-options': 'public',
  'POST /api/auth/passkey/options': 'public',
  'POST /api/auth/passkey/login': 'public',
  'POST /api/auth/register': 'public',
  'POST /api/auth/verify-email': 'public',
  'POST /api/auth/password-reset/request': 'public',
  'POST /api/auth/password-reset': 'public',
  'POST /api/auth/unlock': 'public',
  'POST /api/auth/not-me': 'public',
  'POST /api/auth/confirm-email': 'public',
  'GET /api/instance/signup': 'public',
  'GET /api/exchanges': 'public',
  'POST /api/incident/unlock/confirm': 'public',
  'POST /api/incident/emergency/preview': 'public',
  'POST /api/incident/emergency': 'public',
  'POST /api/hooks/signal/:botId': 'webhook',
  'GET /metrics': 'metrics',
  'POST /api/auth/logout': 'session',
  'GET /api/me': 'session',
  'GET /api/sessions': 'session',
  'DELETE /api/sessions/:id': 'session',
  'POST /api/sessions/revoke-others': 'session',
  'GET /api/devices': 'session',
  'DELETE /api/devices/:id': 'session',
  'PUT /api/auth/password': 'session',
  'POST /api/auth/email': 'session',
  'PUT /api/auth/anti-phishing-code': 'session',
  'POST /api/auth/step-up': 'session',
  'POST /api/auth/step-up/passkey-options': 'session',
  'POST /api/auth/totp/setup': 'session',
  'POST /api/auth/totp/enable': 'session',
  'POST /api/auth/totp/disable': 'session',
  'POST /api/auth/recovery-codes': 'session',
  'GET /api/auth/passkeys': 'session',
  'POST /api/auth/passkeys/options': 'session',
  'POST /api/auth/passkeys': 'session',
  'PATCH /api/auth/passkeys/:id': 'session',
  'DELETE /api/auth/passkeys/:id': 'session',
  'GET /api/tokens': 'session',
  'POST /api/tokens': 'session',
  'DELETE /api/tokens/:id': 'session',
  'GET /api/me/audit': 'session',
  'GET /api/me/audit/verification': 'session',
  'PUT /api/instance/signup': 'operator',
  // Teams: creating a workspace and accepting an invitation are the signed-in person's; reading what a
  // link invites to needs no session (its token is the credential).
  'POST /api/workspaces': 'session',
  'POST /api/invitations/preview': 'public',
  'POST /api/invitations/accept': 'session',
}

/**
 * The built web app (web/dist, when it was built), served at / file by file: public like the rest of
 * the shell. Each file is its own GET route.
 */
const webRoot = fileURLToPath(new URL('../../web/dist', import.meta.url))
const webFileRoutes = (): Record<string, Access> => {
  if (!existsSync(webRoot)) return {}
  const files = readdirSync(webRoot, { recursive: true, withFileTypes: true }).filter((f) => f.isFile())
  const paths = files.map((f) => `/${`${f.parentPath}/${f.name}`.slice(webRoot.length + 1)}`)
  return Object.fromEntries(['/', ...paths].map((path) => [`GET ${path}`, 'public' as const]))
}

/**
 * Signer operations a viewer's request may cause, by route: reading the signed audit checkpoints to
 * say whether the instance's system chain verifies. It is one walk a minute shared by every signed-in
 * person, reads public signatures and touches no key (see audit-routes.ts); any other call is a failure.
 */
const viewerSignerReads: Record<string, readonly string[]> = {
  'GET /api/me/audit/verification': ['listCheckpoints'],
}

type Route = { method: Method; url: string; action: Action | undefined }
type Ids = { workspaceId: string; demo: string; bot: string; exchange: string; channel: string; alert: string; user: string }
type JsonSchema = {
  type?: string | string[]
  properties?: Record<string, JsonSchema>
  required?: string[]
  items?: JsonSchema
  enum?: unknown[]
  const?: unknown
  anyOf?: JsonSchema[]
  oneOf?: JsonSchema[]
  allOf?: JsonSchema[]
  format?: string
  pattern?: string
  minLength?: number
  maxLength?: number
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  minItems?: number
}
type OpenApiOperation = { requestBody?: { content?: Record<string, { schema?: JsonSchema }> }; parameters?: Array<{ in: string; name: string; required?: boolean; schema?: JsonSchema }> }

const routeKey = (r: Pick<Route, 'method' | 'url'>) => `${r.method} ${r.url}`
const isWorkspaceRoute = (r: Route) => r.url === '/api/workspaces/:workspaceId' || r.url.startsWith('/api/workspaces/:workspaceId/')
const isWorkspaceNotFound = (res: Reply) => {
  if (res.status !== 404 || !res.contentType.includes('json')) return false
  const body = res.json<{ code?: string; message?: string }>()
  return body.code === 'NOT_FOUND' && /^workspace "/.test(body.message ?? '')
}
const codeOf = (res: Reply) => (res.contentType.includes('json') ? (res.json<{ code?: unknown }>().code as string | undefined) : undefined)
const messageOf = (res: Reply) => (res.contentType.includes('json') ? (res.json<{ message?: unknown }>().message as string | undefined) : undefined)
/** A refusal by the request schema (the route never ran): the message names the field. */
const isSchemaRefusal = (res: Reply) => res.status === 400 && res.contentType.includes('json') && /^(body|querystring|params)\b/.test(res.json<{ message?: string }>().message ?? '')
/** Every parameter a random id (the route table's own URL), the workspace given. */
const urlFor = (url: string, ws: string) => url.replace(':workspaceId', ws).replace(/:[A-Za-z]+/g, () => newId())

/** The object a path parameter names, from the parameter or the path segment before it. */
const objectOfParam = (name: string, before: string | undefined): keyof Ids | 'random' | 'kind' => {
  if (name === 'workspaceId') return 'workspaceId'
  if (name === 'kind') return 'kind'
  const byName: Record<string, keyof Ids> = { botId: 'bot', channelId: 'channel', alertId: 'alert', keyId: 'exchange', userId: 'user', accountId: 'demo' }
  if (byName[name]) return byName[name]
  if (name !== 'id') return 'random'
  const byParent: Record<string, keyof Ids> = {
    accounts: 'demo',
    ':kind': 'demo',
    'exchange-accounts': 'exchange',
    bots: 'bot',
    'signal-bots': 'bot',
    'smart-trades': 'bot',
    members: 'user',
    'notification-channels': 'channel',
    'notification-webhooks': 'channel',
    alerts: 'alert',
  }
  return (before && byParent[before]) || 'random'
}
/** The route's URL with each parameter naming an existing object of `ids`; others get a value of their schema's shape. */
const plausibleUrl = (url: string, ids: Ids, other: (name: string) => string) => {
  const segments = url.split('/')
  return segments
    .map((seg, i) => {
      if (!seg.startsWith(':')) return seg
      const object = objectOfParam(seg.slice(1), segments[i - 1])
      return object === 'random' ? other(seg.slice(1)) : object === 'kind' ? 'demo' : ids[object]
    })
    .join('/')
}
/** Ids of objects that do not exist anywhere. */
const nowhere = (workspaceId: string): Ids => ({ workspaceId, demo: newId(), bot: newId(), exchange: newId(), channel: newId(), alert: newId(), user: newId() })

/** An id for a body or query field, by its name. */
const idForField = (name: string, ids: Ids): string => {
  const n = name.toLowerCase()
  if (n === 'workspaceid') return ids.workspaceId
  if (n.includes('exchange') || n === 'keyid') return ids.exchange
  if (n.includes('bot')) return ids.bot
  if (n.includes('channel')) return ids.channel
  if (n.includes('alert')) return ids.alert
  if (n.includes('user') || n.includes('member')) return ids.user
  return ids.demo
}

/**
 * A value the JSON schema accepts, with ids of existing objects where a field names one: so a request
 * gets past validation and the only thing between it and the route's work is authorization.
 */
const sampleOf = (s: JsonSchema, name: string, ids: Ids, now: Date): unknown => {
  if (s.const !== undefined) return s.const
  if (s.enum && s.enum.length > 0) return s.enum[0]
  const variants = s.anyOf ?? s.oneOf ?? s.allOf
  if (variants?.[0]) return sampleOf(variants[0], name, ids, now)
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type
  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {}
      for (const key of s.required ?? []) out[key] = sampleOf(s.properties?.[key] ?? {}, key, ids, now)
      return out
    }
    case 'array':
      return Array.from({ length: Math.max(s.minItems ?? 1, 1) }, () => sampleOf(s.items ?? {}, name, ids, now))
    case 'integer':
    case 'number': {
      const low = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1)
      return s.maximum !== undefined ? Math.min(low, s.maximum) : low
    }
    case 'boolean':
      return false
    default:
      return sampleString(s, name, ids, now)
  }
}
const sampleString = (s: JsonSchema, name: string, ids: Ids, now: Date): string => {
  if (s.format === 'uuid') return idForField(name, ids)
  if (s.format === 'date-time') return now.toISOString()
  if (s.format === 'email' || /email/i.test(name)) return 'someone@example.com'
  if (/url/i.test(name)) return 'https://hooks.example.com/bulwark'
  if (name === 'password') return PASSWORD
  const fits = (c: string) => (s.pattern === undefined || new RegExp(s.pattern).test(c)) && c.length >= (s.minLength ?? 0) && c.length <= (s.maxLength ?? Number.POSITIVE_INFINITY)
  const candidates = ['Sample text', 'BTC/USDT', '1', '0.001', '1h', 'abcd1234', '123456', 'A'.repeat(43), 'sample', now.toISOString(), 'x'.repeat(Math.max(s.minLength ?? 1, 1))]
  return candidates.find(fits) ?? 'x'
}

describe.each(backends)('authorization over the whole platform on %s (R41)', (kind) => {
  let p: FullPlatform
  const clock = createManualClock(Date.now())
  const keys = { alpha: { apiKey: randomApiKey(), secret: randomHmacSecret() }, bravo: { apiKey: randomApiKey(), secret: randomHmacSecret() } }
  type Person = Role | 'stranger' | 'operator'
  const people: readonly Person[] = ['operator', 'owner', 'admin', 'trader', 'viewer', 'stranger']
  const userIds = {} as Record<Person, string>
  const s = {} as Record<Person, Session>
  /** A: the team under test. B: the stranger's own (its objects must never show through A). T: where the owner's API tokens live. */
  let wsA = ''
  let wsB = ''
  let wsT = ''
  let objectsA: Ids
  let objectsB: Ids
  let viewerToken = ''
  let openapi: Record<string, Record<string, OpenApiOperation>> = {}
  let webFiles: Record<string, Access> = {}
  const classOf = (r: Route): Access | undefined => platformRoutes[routeKey(r)] ?? webFiles[routeKey(r)]

  const emailOf = (who: Person) => `${who}@example.com`
  /** Signs `who` in again when a walk ended their session (sign-out, password change), in place. */
  const stillSignedIn = async (who: Person) => {
    if ((await p.request('GET', '/api/me', s[who])).status === 200) return
    Object.assign(s[who], await p.signIn(emailOf(who)))
  }
  /**
   * A request as `who`, signed in. A lockdown ends every member's sessions in its background steps, which
   * may land after the lockdown answered: a request that finds its session ended signs in again and asks again.
   */
  const ask = async (who: Person, method: Method, url: string, payload?: unknown): Promise<Reply> => {
    for (let attempt = 1; ; attempt++) {
      const res = await p.request(method, url, s[who], payload)
      if (attempt === 3 || res.status !== 401 || codeOf(res) !== 'UNAUTHENTICATED') return res
      Object.assign(s[who], await p.signIn(emailOf(who)))
    }
  }
  const setPolicy = (ids: readonly string[], values: Partial<typeof schema.workspaces.$inferInsert>) => p.db.update(schema.workspaces).set(values).where(inArray(schema.workspaces.id, [...ids]))
  /**
   * A team workspace with one member of each role, four-eyes on (as for every new team: a gated change
   * answers 202, which is an allowed answer); the policies that ask for factors these people lack are off.
   */
  const teamWorkspace = async (name: string, approvalsRequired = true) => {
    const ws = await p.addTeamWorkspace(name, roles.map((role) => ({ userId: userIds[role], role })))
    await setPolicy([ws], { requirePasskeyForAdmins: false, requireTwoFactorForKeys: false, approvalsRequired })
    return ws
  }
  const routes = () => routeTableOf(p.app) as readonly Route[]
  const workspaceRoutes = () => routes().filter(isWorkspaceRoute)
  const operationOf = (r: Route) => openapi[r.url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[r.method.toLowerCase()]
  const bodySchemaOf = (r: Route) => operationOf(r)?.requestBody?.content?.['application/json']?.schema
  /**
   * The requests an honest client would send, best guess first: ids of existing objects, the query's
   * required parameters, a body with the schema's required fields and then with one more of its optional
   * fields at a time (for bodies whose rules need one of them, like a sign-in or an edit).
   */
  const plausible = (r: Route, ids: Ids): Array<{ url: string; payload: unknown }> => {
    const required = (operationOf(r)?.parameters ?? []).filter((q) => q.in === 'query' && q.required)
    const query = new URLSearchParams(required.map((q): [string, string] => [q.name, String(sampleOf(q.schema ?? {}, q.name, ids, clock.now()))])).toString()
    const pathSchema = (name: string) => (operationOf(r)?.parameters ?? []).find((q) => q.in === 'path' && q.name === name)?.schema ?? { format: 'uuid' }
    const other = (name: string) => (pathSchema(name).format === 'uuid' ? newId() : String(sampleOf(pathSchema(name), name, ids, clock.now())))
    const url = `${plausibleUrl(r.url, ids, other)}${query ? `?${query}` : ''}`
    const body = bodySchemaOf(r)
    if (r.method === 'GET') return [{ url, payload: undefined }]
    if (!body) return [{ url, payload: {} }]
    const base = sampleOf(body, 'body', ids, clock.now())
    const optional = Object.keys(body.properties ?? {}).filter((k) => !(body.required ?? []).includes(k))
    const grown = optional.map((_, n) =>
      Object.fromEntries([...Object.entries(base as Record<string, unknown>), ...optional.slice(0, n + 1).map((k) => [k, sampleOf(body.properties?.[k] ?? {}, k, ids, clock.now())])]),
    )
    return [{ url, payload: base }, ...grown.map((payload) => ({ url, payload }))]
  }
  /** Sends the plausible requests in turn until one gets past the schema (or none is left); the last answer. */
  const sendPlausible = async (r: Route, ids: Ids, who: Person | Credentials): Promise<Reply> => {
    let res: Reply | undefined
    for (const attempt of plausible(r, ids)) {
      res = typeof who === 'string' ? await ask(who, r.method, attempt.url, attempt.payload) : await p.request(r.method, attempt.url, who, attempt.payload)
      if (!isSchemaRefusal(res)) break
    }
    if (!res) throw new Error(`no request for ${routeKey(r)}`)
    return res
  }

  beforeAll(async () => {
    p = await startFullPlatform(kind, {
      clock,
      emulator: {
        accounts: Object.values(keys).map((k) => ({ ...k, ipRestrict: true, ipWhitelist: ['127.0.0.1'], balances: { USDT: '1000' } })),
        prices: { BTCUSDT: '50000' },
      },
    })
    for (const who of people) userIds[who] = (await p.addUser(emailOf(who), { isOperator: who === 'operator' })).userId
    wsA = await teamWorkspace('Desk', false)
    wsT = await p.addTeamWorkspace('Scripts', [
      { userId: userIds.owner, role: 'owner' },
      { userId: userIds.admin, role: 'admin' },
    ])
    const [strangers] = await p.db.select({ id: schema.memberships.workspaceId }).from(schema.memberships).where(eq(schema.memberships.userId, userIds.stranger))
    wsB = strangers?.id ?? ''
    await setPolicy([wsB], { requireTwoFactorForKeys: false })
    for (const who of people) s[who] = await p.signIn(emailOf(who))
    openapi = (await p.request('GET', '/api/openapi.json', null)).json<{ paths: typeof openapi }>().paths
    webFiles = webFileRoutes()

    // The same objects in A (the owner's) and B (the stranger's): B's are named "Bravo" so a leak shows.
    const alerts = createAlerts({ db: p.db, clock })
    const objectsIn = async (ws: string, who: Session, tag: string, key: { apiKey: string; secret: string }): Promise<Ids> => {
      const made = async (url: string, payload: unknown) => {
        const res = await p.request('POST', `/api/workspaces/${ws}${url}`, who, payload)
        if (res.status !== 201) throw new Error(`fixture ${url}: ${res.status} ${res.body}`)
        return res.json<Record<string, unknown>>()
      }
      const demo = (await made('/demo/accounts', { name: `${tag} Paper`, kind: 'spot' })).id as string
      const bot = ((await made('/signal-bots', { name: `${tag} Bot`, demoAccountId: demo, config: { symbols: ['BTC/USDT'], sizing: { kind: 'base', amount: '0.01' }, source: { kind: 'webhook' } } })).bot as { id: string }).id
      const exchange = (await made('/exchange-accounts', { exchange: 'binance', label: `${tag} Key`, envelope: await p.signer.seal(ws, key) })).id as string
      const channel = (await made('/notification-channels/email', {})).id as string
      const alert = (await alerts.raise({ workspaceId: ws, rule: 'password_changed', details: { note: `${tag} alert` } }))?.id ?? ''
      return { workspaceId: ws, demo, bot, exchange, channel, alert, user: who.userId }
    }
    objectsA = await objectsIn(wsA, s.owner, 'Alpha', keys.alpha)
    objectsB = await objectsIn(wsB, s.stranger, 'Bravo', keys.bravo)
    // Its objects made, A asks for a second person like any team: a change that would wait answers 202.
    await setPolicy([wsA], { approvalsRequired: true })
    // The viewer's read-scope API token (R41 as amended: tokens read the mirror only).
    const token = await p.request('POST', '/api/tokens', s.viewer, { name: 'viewer-script', workspaceId: wsA, scope: 'read', expiresInDays: 1 })
    if (token.status !== 201) throw new Error(`viewer token: ${token.status} ${token.body}`)
    viewerToken = token.json<{ token: string }>().token
  }, 180_000)
  afterAll(async () => {
    await p?.close()
  })

  it('walks every route main.ts registers, and every workspace route declares a policy action', () => {
    const ws = '/api/workspaces/:workspaceId'
    // The whole platform: the route modules main.ts adds (audit, activity, settings, security, notifications,
    // live, incidents, metrics) are here along with buildApp's own.
    expect(routes().map(routeKey)).toEqual(
      expect.arrayContaining([
        `POST ${ws}/smart-trades`,
        `PUT ${ws}/trading/accounts/:kind/:id/risk`,
        `GET ${ws}/audit`,
        `GET ${ws}/audit/members`,
        `GET ${ws}/activity`,
        `PATCH ${ws}/settings`,
        `GET ${ws}/security/score`,
        `POST ${ws}/notification-webhooks`,
        `GET ${ws}/live`,
        `POST ${ws}/lockdown`,
        `POST ${ws}/incident/unlock/request`,
        'POST /api/incident/emergency',
        'GET /metrics',
      ]),
    )
    const undeclared = workspaceRoutes().filter((r) => r.action === undefined).map(routeKey)
    expect(undeclared).toEqual([])
    const unclassified = routes().filter((r) => !isWorkspaceRoute(r) && classOf(r) === undefined).map(routeKey)
    expect(unclassified).toEqual([])
    const gone = Object.keys(platformRoutes).filter((k) => !routes().some((r) => routeKey(r) === k))
    expect(gone).toEqual([])
  })

  it('each role gets exactly what the policy table says; another workspace is NOT_FOUND for everyone', async () => {
    const mismatches: unknown[] = []
    const serverErrors: string[] = []
    for (const r of workspaceRoutes()) {
      const action = r.action as Action
      // A change runs in a scratch workspace of its own: what the route does there (a lockdown, a member
      // leaving, the workspace deleted) cannot change another route's answer.
      const ws = r.method === 'GET' ? wsA : await teamWorkspace(`Scratch ${routeKey(r)}`.slice(0, 80))
      const url = urlFor(r.url, ws)
      const payload = r.method === 'GET' ? undefined : {}
      for (const role of rolesUpward) {
        // A lockdown (and a few other changes) signs the members out: everyone asks signed in.
        if (r.method !== 'GET') await stillSignedIn(role)
        const res = await ask(role, r.method, url, payload)
        const allowed = isAllowed(role, action)
        // 401 only as STEP_UP_REQUIRED (allowed by the role, asked to confirm): a signed-out answer would say nothing.
        const signedOut = res.status === 401 && codeOf(res) !== 'STEP_UP_REQUIRED'
        if ((res.status === 403) === allowed || isWorkspaceNotFound(res) || signedOut) mismatches.push({ route: routeKey(r), action, role, allowed, status: res.status, code: codeOf(res) })
        if (res.status >= 500) serverErrors.push(`${routeKey(r)} as ${role}: ${res.status} ${res.body.slice(0, 200)}`)
      }
      if (r.method !== 'GET') await stillSignedIn('stranger')
      const foreign = await ask('stranger', r.method, url, payload)
      if (!isWorkspaceNotFound(foreign)) mismatches.push({ route: routeKey(r), role: 'stranger', status: foreign.status, code: codeOf(foreign) })
      // The next route (maybe a read in the team's own workspace) finds everyone signed in again.
      if (r.method !== 'GET') for (const who of rolesUpward) await stillSignedIn(who)
    }
    expect(mismatches).toEqual([])
    expect(serverErrors).toEqual([])
  })

  it('a malformed workspace id is simply not found (never a 500)', async () => {
    await stillSignedIn('owner')
    const answers = []
    for (const r of workspaceRoutes()) {
      const res = await ask('owner', r.method, urlFor(r.url, 'not-a-uuid'), r.method === 'GET' ? undefined : {})
      answers.push({ route: routeKey(r), status: res.status })
    }
    expect(answers.filter((a) => a.status !== 404)).toEqual([])
  })

  it('API tokens: the scope table caps each action, and a token sees only its own workspace', async () => {
    await stillSignedIn('owner')
    // R26: in a team workspace, owners and admins need a passkey by default; this owner has none.
    const refused = await ask('owner', 'POST', '/api/tokens', { name: 'no-passkey', workspaceId: wsT, scope: 'read', expiresInDays: 1 })
    expect(refused.json()).toMatchObject({ code: 'PHISHING_RESISTANT_FACTOR_REQUIRED' })
    await setPolicy([wsT], { requirePasskeyForAdmins: false })
    const tokenIn = async (ws: string, scope: ApiTokenScope) => {
      await stillSignedIn('owner')
      const created = await ask('owner', 'POST', '/api/tokens', { name: `t-${scope}`, workspaceId: ws, scope, expiresInDays: 1 })
      if (created.status !== 201) throw new Error(`token: ${created.status} ${created.body}`)
      return { token: created.json<{ token: string }>().token }
    }
    const readers = { read: await tokenIn(wsT, 'read'), trade: await tokenIn(wsT, 'trade'), admin: await tokenIn(wsT, 'admin') }
    const mismatches: unknown[] = []
    for (const r of workspaceRoutes()) {
      const needed = tokenScopeFor[r.action as Action]
      const payload = r.method === 'GET' ? undefined : {}
      for (const scope of ['read', 'trade', 'admin'] as const) {
        // A change runs in a workspace of its own with a token of its own (a lockdown revokes the workspace's tokens).
        const ws = r.method === 'GET' ? wsT : await p.addTeamWorkspace(`Tokens ${scope} ${routeKey(r)}`.slice(0, 80), [{ userId: userIds.owner, role: 'owner' }])
        const token = r.method === 'GET' ? readers[scope] : await tokenIn(ws, scope)
        // Another workspace: refused outright or not found, never anything that tells it exists.
        const other = await p.request(r.method, urlFor(r.url, wsA), token, payload)
        const hidden = isWorkspaceNotFound(other) || (needed === null && other.status === 403)
        if (!hidden) mismatches.push({ route: routeKey(r), scope, workspace: 'another', status: other.status, code: codeOf(other) })
        const res = await p.request(r.method, urlFor(r.url, ws), token, payload)
        const expected = needed !== null && scopeRank[scope] >= scopeRank[needed]
        if ((res.status === 403) === expected || isWorkspaceNotFound(res) || res.status === 401) mismatches.push({ route: routeKey(r), scope, needed, status: res.status, code: codeOf(res) })
      }
    }
    expect(mismatches).toEqual([])
    // A viewer cannot mint a token above its role.
    await stillSignedIn('viewer')
    expect((await ask('viewer', 'POST', '/api/tokens', { name: 'x', workspaceId: wsA, scope: 'trade', expiresInDays: 1 })).status).toBe(403)
  })

  it('every route outside a workspace answers as its class says: without credentials, with a session, with an API token', async () => {
    const mismatches: unknown[] = []
    const metricsToken = { token: 'not-the-metrics-token' }
    for (const r of routes().filter((x) => !isWorkspaceRoute(x))) {
      const access = classOf(r)
      if (access === undefined) continue // reported by the first test
      // The operator's check is the route's own, after its schema: those get a body the schema accepts.
      const [honest] = access === 'operator' ? plausible(r, { ...objectsA, user: userIds.viewer }) : []
      const url = honest?.url ?? urlFor(r.url, wsA)
      const payload = honest ? honest.payload : r.method === 'GET' ? undefined : {}
      await stillSignedIn('viewer')
      const anonymous = await p.request(r.method, url, null, payload)
      const session = await ask('viewer', r.method, url, payload)
      await stillSignedIn('viewer')
      const token = await p.request(r.method, url, { token: viewerToken }, payload)
      const wrongBearer = access === 'metrics' ? await p.request(r.method, url, metricsToken, payload) : undefined
      const operator = access === 'operator' ? await ask('operator', r.method, url, payload) : undefined
      const got = { anonymous: anonymous.status, session: session.status, token: token.status, ...(wrongBearer ? { wrongBearer: wrongBearer.status } : {}), ...(operator ? { operator: operator.status } : {}) }
      const denied = (status: number) => status === 401 || status === 403
      const ok = {
        // Credentials change nothing: the route never asks for them (a wrong setup or link token is its own 403).
        public: !denied(anonymous.status) || codeOf(anonymous) !== 'UNAUTHENTICATED',
        webhook: anonymous.status !== 401 && anonymous.status !== 403,
        session: anonymous.status === 401 && !denied(session.status) && token.status === 403,
        operator: anonymous.status === 401 && session.status === 403 && token.status === 403 && operator !== undefined && !denied(operator.status),
        metrics: anonymous.status === 401 && session.status === 401 && token.status === 401 && wrongBearer?.status === 401,
      }[access]
      if (!ok) mismatches.push({ route: routeKey(r), access, ...got })
    }
    expect(mismatches).toEqual([])
  })

  it("R41: no request by a viewer reaches the signer, whatever the route and body (the owner's do)", async () => {
    const viewerIdsA: Ids = { ...objectsA, user: userIds.viewer }
    // Signed in moments ago, and confirmed again: routes behind step-up run as far as they can.
    expect((await ask('viewer', 'POST', '/api/auth/step-up', { password: PASSWORD })).status).toBe(200)
    const before = p.calls.length
    const stillAViewer = async () => {
      // A walk may take the viewer out of the team (leaving it is theirs to do): put them back.
      await p.db.insert(schema.memberships).values({ workspaceId: wsA, userId: userIds.viewer, role: 'viewer', createdAt: clock.now() }).onConflictDoNothing()
      await stillSignedIn('viewer')
      // Leaving (or revoking it through the tokens routes) ends the viewer's token: a new one, so the token walk keeps asking.
      if ((await p.request('GET', `/api/workspaces/${wsA}/alerts/unread`, { token: viewerToken })).status === 401) {
        const token = await ask('viewer', 'POST', '/api/tokens', { name: 'viewer-script', workspaceId: wsA, scope: 'read', expiresInDays: 1 })
        if (token.status !== 201) throw new Error(`viewer token: ${token.status} ${token.body}`)
        viewerToken = token.json<{ token: string }>().token
      }
    }
    const passedValidation: string[] = []
    const refusedBySchema: string[] = []
    const serverErrors: string[] = []
    for (const [label, who] of [
      ['viewer', (): Credentials => s.viewer],
      ['viewer-token', (): Credentials => ({ token: viewerToken })],
    ] as const) {
      for (const r of routes()) {
        const key = routeKey(r)
        const by = `${label} ${key}`
        const empty = await p.as(by, () => p.request(r.method, urlFor(r.url, wsA), who(), r.method === 'GET' ? undefined : {}))
        await stillAViewer()
        const honest = await p.as(by, () => sendPlausible(r, viewerIdsA, who()))
        await stillAViewer()
        for (const res of [empty, honest]) if (res.status >= 500) serverErrors.push(`${key} as ${label}: ${res.status} ${res.body.slice(0, 200)}`)
        if (label === 'viewer') (isSchemaRefusal(honest) ? refusedBySchema : passedValidation).push(key)
      }
    }
    const viewerCalls = p.calls.slice(before).filter((c) => c.by?.startsWith('viewer'))
    const forbidden = viewerCalls.filter((c) => {
      const route = (c.by ?? '').replace(/^viewer(-token)? /, '')
      return !(viewerSignerReads[route] ?? []).includes(c.op)
    })
    expect(forbidden).toEqual([])
    // Nothing else reached it meanwhile either (no timer of the platform's, no work a request left behind).
    expect(p.calls.slice(before).filter((c) => !c.by?.startsWith('viewer'))).toEqual([])
    expect(serverErrors).toEqual([])
    // The honest bodies do what they are for: the walk is not refused by schemas on the routes a viewer may use.
    const viewerMayUse = routes().filter((r) => !isWorkspaceRoute(r) || isAllowed('viewer', r.action as Action))
    expect(refusedBySchema.filter((k) => viewerMayUse.some((r) => routeKey(r) === k))).toEqual([])
    expect(passedValidation.length).toBeGreaterThan(viewerMayUse.length / 2)
    // Nothing of the owner's was touched by the walk.
    const [account] = await p.db.select({ state: schema.exchangeAccounts.state }).from(schema.exchangeAccounts).where(and(eq(schema.exchangeAccounts.id, objectsA.exchange), eq(schema.exchangeAccounts.workspaceId, wsA)))
    expect(account?.state).toBe('active')
    const [viewerMembership] = await p.db.select().from(schema.memberships).where(and(eq(schema.memberships.workspaceId, wsA), eq(schema.memberships.userId, userIds.viewer)))
    expect(viewerMembership?.role).toBe('viewer')

    // The same reads as the owner do reach the signer (the counter counts).
    const ownerBefore = p.calls.length
    await stillSignedIn('owner')
    for (const r of workspaceRoutes().filter((x) => x.method === 'GET')) await p.as('owner', () => sendPlausible(r, objectsA, s.owner))
    expect(p.calls.slice(ownerBefore).filter((c) => c.by === 'owner').length).toBeGreaterThan(0)
  })

  it("an object of another workspace is not found through this one's URLs, and none of it shows", async () => {
    const mismatches: unknown[] = []
    const withObjects = workspaceRoutes().filter((r) => r.url.split('/').some((seg, i, all) => seg.startsWith(':') && !['random', 'workspaceId', 'kind'].includes(objectOfParam(seg.slice(1), all[i - 1]))))
    expect(withObjects.length).toBeGreaterThan(20)
    // B's objects in A's URLs (and A's plausible bodies), as A's owner: every route that names an object.
    const crossed: Ids = { ...objectsB, workspaceId: wsA, user: userIds.stranger }
    // Whatever the answer, it must be the one for an object that exists nowhere: B's objects are invisible.
    const normalized = (res: Reply, ids: Ids) => {
      let message = messageOf(res) ?? ''
      for (const key of ['demo', 'bot', 'exchange', 'channel', 'alert', 'user'] as const) message = message.replaceAll(ids[key], '<id>')
      return { status: res.status, code: codeOf(res), message }
    }
    for (const r of withObjects) {
      await stillSignedIn('owner')
      const res = await sendPlausible(r, crossed, s.owner)
      const absent = nowhere(wsA)
      const unknown = await sendPlausible(r, absent, s.owner)
      const leaks = res.body.includes('Bravo')
      const answer = normalized(res, crossed)
      if (isWorkspaceNotFound(res) || leaks || !isDeepStrictEqual(answer, normalized(unknown, absent))) {
        mismatches.push({ route: routeKey(r), ...answer, forUnknownId: normalized(unknown, absent), leaks })
      }
    }
    expect(mismatches).toEqual([])
    // B's objects are all still there and unchanged.
    const [account] = await p.db.select({ state: schema.exchangeAccounts.state, label: schema.exchangeAccounts.label }).from(schema.exchangeAccounts).where(eq(schema.exchangeAccounts.id, objectsB.exchange))
    expect(account).toEqual({ state: 'active', label: 'Bravo Key' })
    await stillSignedIn('stranger')
    const bots = (await ask('stranger', 'GET', `/api/workspaces/${wsB}/bots/${objectsB.bot}`)).json<{ name?: string; bot?: { name: string } }>()
    expect(JSON.stringify(bots)).toContain('Bravo Bot')
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncLocalStorage } from 'node:async_hooks'
import { parseConfig } from '../../src/config/index.js'
import { startPlatform, type Platform } from '../../src/main.js'
import { hashPassword } from '../../src/auth/password.js'
import { insertUserWithWorkspace } from '../../src/auth/workspace-store.js'
import { schema, type DatabaseKind, type Role } from '../../src/db/index.js'
import { newId } from '../../src/lib/ids.js'
import type { ManualClock } from '../../src/lib/clock.js'
import type { SignerClient } from '../../src/signer/index.js'
import type { BinanceEmulatorOptions } from '../emulator/binance-emulator.js'
import { createPostgresDatabase } from './databases.js'
import { startSignerHarness, type SignerHarness } from './signer-harness.js'

export const ORIGIN = 'http://localhost:8080'
export const PASSWORD = 'violet ostrich carburetor lighthouse'

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
type Headers = Awaited<ReturnType<Platform['app']['inject']>>['headers']
/** A response as the tests read it (an event stream's body is left unread). */
export type Reply = { status: number; body: string; contentType: string; headers: Headers; json: <T = Record<string, unknown>>() => T }
export type Session = { cookie: string; csrf: string; userId: string }
/** How a request authenticates: a signed-in session, an API token, or nothing. */
export type Credentials = Session | { token: string } | null

/** One signer call as the counting client saw it: the operation and who caused it (see `as`). */
export type SignerCall = { op: string; by: string | undefined }

/**
 * The whole api platform exactly as `main.ts` wires it (`startPlatform`, every route module it
 * registers), in this process on a fresh BULWARK_HOME and a database of its own, with the real signer
 * (test/support/signer-harness.ts, against the Binance emulator) behind a client that counts calls.
 *
 * Each call is attributed to the label a test's request ran under (`as(label, fn)`): the label follows
 * the request through promises and the timers it schedules (AsyncLocalStorage), so work a request
 * starts is counted against whoever made it; calls from the platform's own timers carry no label.
 */
export const startFullPlatform = async (kind: DatabaseKind, opts: { clock: ManualClock; emulator?: BinanceEmulatorOptions; env?: Record<string, string> }) => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-full-platform-'))
  const cleanup: Array<() => Promise<void> | void> = [() => rmSync(dir, { recursive: true, force: true })]
  const close = async () => {
    for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => {})
  }
  try {
    const signer: SignerHarness = await startSignerHarness(kind, { clock: opts.clock, origin: ORIGIN, emulator: opts.emulator ?? { accounts: [] } })
    cleanup.push(() => signer.close())
    const label = new AsyncLocalStorage<string>()
    const calls: SignerCall[] = []
    const counting: SignerClient = {
      ...signer.client,
      call: ((...args: Parameters<SignerClient['call']>) => {
        calls.push({ op: args[0], by: label.getStore() })
        return signer.client.call(...args)
      }) as SignerClient['call'],
    }
    const postgres = kind === 'postgres' ? await createPostgresDatabase({ fromTemplate: 'api' }) : undefined
    if (postgres) cleanup.push(() => postgres.drop())
    const parsed = parseConfig({
      BULWARK_HOME: join(dir, 'home'),
      PORT: '0',
      HOST: '127.0.0.1',
      PUBLIC_ORIGIN: ORIGIN,
      LOG_LEVEL: process.env.BULWARK_TEST_LOG_LEVEL ?? 'silent',
      SIGNUP: 'open',
      // The platform's own timers stay quiet during a test: checkpoints daily, nothing else on a short period.
      AUDIT_CHECKPOINT_INTERVAL_MS: '86400000',
      BULWARK_EGRESS_IPS: '203.0.113.10',
      ...(postgres ? { DATABASE_URL: postgres.url } : {}),
      ...opts.env,
    })
    if (!parsed.ok) throw new Error(`test configuration refused: ${parsed.problems.join('; ')}`)
    const printed: string[] = []
    const platform = await startPlatform(parsed.config, { signer: counting, clock: opts.clock, print: (line) => printed.push(line) })
    // Closed before the signer and the database it uses (cleanup runs in reverse).
    cleanup.push(() => platform.close('test finished'))
    const { app } = platform
    const db = platform.database.db

    /** A user with a personal workspace and a verified email, straight into the database. */
    const addUser = async (email: string, over: { isOperator?: boolean } = {}) => {
      const hash = await hashPassword(PASSWORD)
      const now = opts.clock.now()
      return db.transaction((tx) =>
        insertUserWithWorkspace(tx, { email, displayName: email.split('@')[0] ?? email, passwordHash: hash, isOperator: over.isOperator ?? false, emailVerifiedAt: now }, 'Personal', now),
      )
    }
    /** A team workspace (not anyone's personal one) with these members. */
    const addTeamWorkspace = async (name: string, members: ReadonlyArray<{ userId: string; role: Role }>) => {
      const now = opts.clock.now()
      const workspaceId = newId(now.getTime())
      await db.transaction(async (tx) => {
        await tx.insert(schema.workspaces).values({ id: workspaceId, name, isPersonal: false, createdAt: now })
        for (const m of members) await tx.insert(schema.memberships).values({ workspaceId, userId: m.userId, role: m.role, createdAt: now })
      })
      return workspaceId
    }

    const headersFor = (who: Credentials, method: string): Record<string, string> => {
      if (who === null) return { origin: ORIGIN }
      if ('token' in who) return { authorization: `Bearer ${who.token}` }
      return { origin: ORIGIN, cookie: who.cookie, ...(method === 'GET' ? {} : { 'x-csrf-token': who.csrf }) }
    }
    /**
     * One request through the platform's HTTP app; `payload` undefined sends no body. An event stream
     * (live changes, alerts) is answered with its status and headers and then closed by the client, as
     * a browser leaving the page does: its body is empty here.
     */
    const request = async (method: Method, url: string, who: Credentials, payload?: unknown): Promise<Reply> => {
      const leave = new AbortController()
      const res = await app.inject({ method, url, headers: headersFor(who, method), ...(payload === undefined ? {} : { payload: payload as object }), payloadAsStream: true, signal: leave.signal })
      const contentType = String(res.headers['content-type'] ?? '')
      const stream = res.stream()
      let body = ''
      if (contentType.startsWith('text/event-stream')) {
        stream.on('error', () => {}) // the abort below ends it with an error, which is the point
        leave.abort()
      } else {
        for await (const chunk of stream) body += String(chunk)
      }
      return { status: res.statusCode, body, contentType, headers: res.headers, json: <T = Record<string, unknown>>() => JSON.parse(body) as T }
    }
    /** Runs `fn` with every signer call it causes (directly or through timers it sets) counted against `by`. */
    const as = <T>(by: string, fn: () => Promise<T>): Promise<T> => label.run(by, fn)

    const cookieOf = (res: Reply) => ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('__Host-sid='))?.split(';')[0] ?? ''
    /** Signs in with the password (users without a second factor). */
    const signIn = async (email: string): Promise<Session> => {
      const res = await request('POST', '/api/auth/login', null, { email, password: PASSWORD })
      if (res.status !== 200 || res.json<{ status: string }>().status !== 'signed_in') throw new Error(`sign-in failed: ${res.status} ${res.body}`)
      const cookie = cookieOf(res)
      const me = (await request('GET', '/api/me', { cookie, csrf: '', userId: '' })).json<{ csrfToken: string; user: { id: string } }>()
      return { cookie, csrf: me.csrfToken, userId: me.user.id }
    }

    return { platform, app, db, clock: opts.clock, signer, calls, printed, addUser, addTeamWorkspace, request, as, signIn, close }
  } catch (err) {
    await close()
    throw err
  }
}
export type FullPlatform = Awaited<ReturnType<typeof startFullPlatform>>

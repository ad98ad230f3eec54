import { eq } from 'drizzle-orm'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PASSWORD, startAccountsApp } from '../test/support/accounts-app.js'
import { migrate, openDatabase, schema, type Role } from '../src/db/index.js'
import { createTeams, createWorkspacePolicies } from '../src/teams/index.js'
import { teamRoutes } from '../src/api/routes/team-routes.js'
import { policyRoutes } from '../src/api/routes/policy-routes.js'
import { createWorkspaceSettings } from '../src/monitoring/index.js'

/**
 * `npm run bench -- teams`: what teams cost per request, in-process (the real HTTP app by inject, embedded
 * PGlite; the numbers are the server's work, no network). (1) A trader's workspace read
 * (`GET …/members`) with the workspace's policies off, then with "require two factors" and five allowed IP
 * ranges on: one authorization query either way, so the difference is the policy columns and the range
 * check. (2) A four-eyes round trip: an owner upgrades a viewer (202, pending), a second owner approves
 * with a fresh step-up (the role applied, both audited), sequentially.
 */
const READS = Number(process.env.BENCH_READS ?? 2_000)
const APPROVALS = Number(process.env.BENCH_APPROVALS ?? 60)

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0
}
const r2 = (x: number) => Number(x.toFixed(2))
const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6

export const run = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-teams-'))
  const opened = await openDatabase({ kind: 'pglite', dataDir: join(dir, 'db'), lockPath: join(dir, 'db.lock') })
  await migrate(opened)
  const database = Object.assign(opened, { dispose: async () => { await opened.close(); rmSync(dir, { recursive: true, force: true }) } })
  let teams: ReturnType<typeof createTeams> | undefined
  const t = await startAccountsApp(database, {
    approvals: true,
    routes: (h) => {
      if (!h.approvals) throw new Error('approvals were asked for')
      teams = createTeams({ db: h.db, clock: h.clock, audit: h.audit, outbox: h.outbox, gate: h.approvals, publicOrigin: 'http://localhost:8080', me: h.accounts.me })
      const policies = createWorkspacePolicies({ db: h.db, clock: h.clock, audit: h.audit, settings: createWorkspaceSettings({ db: h.db, clock: h.clock, audit: h.audit }) })
      const { sessions, apiTokens, stepUp, me } = h.accounts
      return [(app) => teamRoutes(app, { db: h.db, sessions, apiTokens, stepUp, me, ...teams! }), (app) => policyRoutes(app, { db: h.db, sessions, apiTokens, stepUp, policies, approvals: h.approvals })]
    },
  })
  try {
    if (!teams || !t.approvals) throw new Error('teams were not wired')
    t.approvals.register('role.upgrade', { apply: teams.members.applyRoleUpgrade })
    const { workspaceId: ws, userId: ownerId } = await t.addUser('owner@example.com')
    const member = async (email: string, role: Role) => {
      const { userId } = await t.addUser(email)
      await database.db.insert(schema.memberships).values({ workspaceId: ws, userId, role, createdAt: t.clock.now() })
      return userId
    }
    await member('owner2@example.com', 'owner')
    await member('trader@example.com', 'trader')
    await database.db.update(schema.workspaces).set({ requirePasskeyForAdmins: false }).where(eq(schema.workspaces.id, ws))
    const trader = await t.signIn('trader@example.com')

    const reads = async () => {
      const times: number[] = []
      for (let i = 0; i < READS; i++) {
        const start = process.hrtime.bigint()
        const res = await t.call('GET', `/api/workspaces/${ws}/members`, trader)
        times.push(ms(start))
        if (res.statusCode !== 200) throw new Error(`read answered ${res.statusCode}`)
      }
      return { p50: r2(pct(times, 50)), p99: r2(pct(times, 99)), perSecond: Math.round(READS / (times.reduce((a, b) => a + b, 0) / 1000)) }
    }
    await reads() // warm-up: JIT and caches, not measured
    const open = await reads()
    await database.db
      .update(schema.workspaces)
      .set({ requireTwoFactor: true, allowedIpRanges: ['10.0.0.0/8', '192.168.0.0/16', '172.16.0.0/12', '127.0.0.0/8', '::1/128'] })
      .where(eq(schema.workspaces.id, ws))
    const guarded = await reads()
    process.stdout.write(`trader read, policies off: p50 ${open.p50} ms, p99 ${open.p99} ms, ${open.perSecond}/s\n`)
    process.stdout.write(`trader read, 2FA required + 5 IP ranges: p50 ${guarded.p50} ms, p99 ${guarded.p99} ms, ${guarded.perSecond}/s\n`)

    await database.db.update(schema.workspaces).set({ requireTwoFactor: false, allowedIpRanges: null, approvalsRequired: true }).where(eq(schema.workspaces.id, ws))
    const owner = await t.signIn('owner@example.com')
    const owner2 = await t.signIn('owner2@example.com')
    for (const s of [owner, owner2]) {
      const up = await t.post('/api/auth/step-up', { password: PASSWORD }, s)
      if (up.statusCode !== 200) throw new Error(`step-up answered ${up.statusCode}`)
    }
    const requestMs: number[] = []
    const approveMs: number[] = []
    for (let i = 0; i < APPROVALS; i++) {
      const viewer = await member(`viewer${i}@example.com`, 'viewer')
      let start = process.hrtime.bigint()
      const asked = await t.call('PATCH', `/api/workspaces/${ws}/members/${viewer}`, owner, { role: 'trader' })
      requestMs.push(ms(start))
      if (asked.statusCode !== 202) throw new Error(`the upgrade answered ${asked.statusCode}: ${asked.body}`)
      const id = asked.json<{ approval: { id: string } }>().approval.id
      start = process.hrtime.bigint()
      const approved = await t.call('POST', `/api/workspaces/${ws}/approvals/${id}/approve`, owner2)
      approveMs.push(ms(start))
      if (approved.statusCode !== 200 || approved.json<{ state: string }>().state !== 'approved') throw new Error(`approving answered ${approved.statusCode}: ${approved.body}`)
    }
    const [row] = await database.db.select({ role: schema.memberships.role }).from(schema.memberships).where(eq(schema.memberships.userId, ownerId))
    if (row?.role !== 'owner') throw new Error('the owner changed')
    const approvals = { requestP50: r2(pct(requestMs, 50)), requestP99: r2(pct(requestMs, 99)), approveP50: r2(pct(approveMs, 50)), approveP99: r2(pct(approveMs, 99)) }
    process.stdout.write(`four-eyes role upgrade (${APPROVALS}): request p50 ${approvals.requestP50} ms p99 ${approvals.requestP99} ms; approve+apply p50 ${approvals.approveP50} ms p99 ${approvals.approveP99} ms\n`)
    process.stdout.write(`${JSON.stringify({ name: 'teams', reads: READS, readPoliciesOff: open, readPoliciesOn: guarded, approvals: APPROVALS, ...approvals })}\n`)
  } finally {
    await t.close()
    await database.dispose()
  }
}

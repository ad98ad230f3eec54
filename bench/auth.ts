import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { bulwarkBin, cleanEnv, freePort, repoRoot, runBulwark } from '../test/support/cli.js'
import { spawnSigner } from '../src/cli/supervisor.js'
import { homePaths, loadPlatformSecrets, prepareHome, privateDir } from '../src/config/index.js'
import type { LoadJob, LoadResult } from './load-worker.js'

/**
 * `npm run bench -- auth`: the real platform (`bulwark start`, embedded PGlite, signer and api processes)
 * with one operator made by `bulwark init`. Measures (1) ~30 sequential password sign-ins (argon2id-bound),
 * (2) authenticated `GET /api/me` under 50 connections for 10 s, autocannon in a process of its own,
 * (3) during that load, how long a session revoked from another session (`DELETE /api/sessions/:id`)
 * keeps answering: from the 204 to the first 401 on the revoked cookie (SECURITY.md R31: within 1 s).
 * Target on embedded: ≥ 2,000 req/s. Needs the server build in place (`npm run build:server`).
 */
const LOGINS = Number(process.env.BENCH_LOGINS ?? 30)
const CONNECTIONS = 50
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10)
/** When, after the load starts, each revocation probe begins; each uses its own victim session. */
const REVOKE_AT_MS = [3_000, 5_000, 7_000].map((t) => (t * DURATION_S) / 10)
const DENY_DEADLINE_MS = 10_000
const TARGET_REQ_PER_SEC = 2_000

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0
}
const r1 = (x: number) => Number(x.toFixed(1))
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

type Session = { cookie: string; csrf: string; id: string }

/** Every process whose environment names this BULWARK_HOME: what `start` spawned (supervisor, signer, api). */
const pidsOf = (home: string) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`BULWARK_HOME=${home}\0`)
      } catch {
        return false // ended meanwhile, or not ours to read
      }
    })
    .map(Number)

/** CPU time (user + system) the process has used so far, in ms; the api's cost per request does not depend on what else runs. */
const cpuMs = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S
}
const CLOCK_TICKS_PER_S = 100 // USER_HZ: 100 on every Linux ABI Node supports

/** The api process of this instance (its command line runs dist/main.js; the signer's runs dist/signer/main.js). */
const apiPid = (home: string) => pidsOf(home).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('/dist/main.js'))

const exited = (child: ChildProcess, timeoutMs: number) =>
  new Promise<boolean>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(true)
    const t = setTimeout(() => resolve(false), timeoutMs)
    child.once('exit', () => {
      clearTimeout(t)
      resolve(true)
    })
  })

/**
 * `bulwark start` as shipped. When the web UI is not built, `start` cannot run here: the supervisor grants
 * the api read access to `web/dist`, a grant on a missing path covers no file under it, and the api's
 * `existsSync(web/dist/index.html)` throws ERR_ACCESS_DENIED. Then the bench starts what `start` starts
 * itself: the signer through the supervisor's own `spawnSigner`, and the api under the same permission
 * grants plus `web/dist/*`, so the missing UI reads as absent. Same code, same sandbox, on the request path.
 */
const startServer = (home: string, env: Record<string, string>): { processes: ChildProcess[]; how: string } => {
  if (existsSync(join(repoRoot, 'web', 'dist', 'index.html'))) {
    return { processes: [spawn(process.execPath, [bulwarkBin, 'start'], { env: cleanEnv(env), stdio: ['ignore', 'ignore', 'pipe'] })], how: 'bulwark start (supervisor, signer, api)' }
  }
  const path = prepareHome(home).path
  const paths = homePaths(path)
  loadPlatformSecrets(path, {})
  const signer = spawnSigner(path, cleanEnv({ BULWARK_HOME: path }), ['ignore', 'ignore', 'pipe'])
  const code = ['dist', 'node_modules', 'web/dist', 'package.json'].map((p) => join(repoRoot, p))
  const writable = [paths.dbDir, paths.runDir, paths.secretsDir]
  const apiChild = spawn(
    process.execPath,
    [
      '--experimental-permission',
      '--no-warnings',
      ...[...code, ...writable, join(repoRoot, 'web', 'dist', '*')].map((p) => `--allow-fs-read=${p}`),
      ...writable.map((p) => `--allow-fs-write=${p}`),
      join(repoRoot, 'dist', 'main.js'),
    ],
    { env: cleanEnv({ ...env, BULWARK_HOME: path }), stdio: ['ignore', 'ignore', 'pipe'] },
  )
  // The api stops first (it drains requests), then the signer, as the supervisor does.
  return { processes: [apiChild, signer], how: 'signer + api as `bulwark start` spawns them (web/dist is not built, see startServer)' }
}

export const run = async () => {
  const root = mkdtempSync(join(tmpdir(), 'bulwark-bench-auth-'))
  const home = join(root, 'home')
  const port = await freePort()
  const origin = `http://127.0.0.1:${port}`
  const env = { BULWARK_HOME: home, PORT: String(port), PUBLIC_ORIGIN: origin }
  const email = 'bench@example.com'
  const password = randomBytes(24).toString('base64url') // 32 random characters: far above the 15-character floor

  let serverLog = ''
  const keepLog = (child: ChildProcess) => child.stderr?.on('data', (c: Buffer) => (serverLog = (serverLog + c.toString('utf8')).slice(-20_000)))
  let worker: ChildProcess | undefined
  let servers: ChildProcess[] = []

  const api = (path: string, init: RequestInit = {}) => fetch(`${origin}${path}`, init)
  const me = async (cookie: string) => {
    const res = await api('/api/me', { headers: { cookie } })
    const body = (await res.json()) as { csrfToken?: string }
    return { status: res.status, csrf: body.csrfToken }
  }
  const login = async (): Promise<{ cookie: string; ms: number }> => {
    const t0 = performance.now()
    const res = await api('/api/auth/login', { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: JSON.stringify({ email, password }) })
    const body = (await res.json()) as { status?: string; userId?: string; code?: string; message?: string }
    const ms = performance.now() - t0
    if (res.status !== 200) throw new Error(`sign-in answered ${res.status} ${body.code ?? ''}: ${body.message ?? ''}`)
    if (body.status === 'second_factor') throw new Error('sign-in asked for a second factor: this bench needs a password-only operator')
    if (!body.userId || (body.status !== undefined && body.status !== 'signed_in')) throw new Error(`unexpected sign-in answer: ${JSON.stringify(Object.keys(body))}`)
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('__Host-sid='))?.split(';')[0]
    if (!cookie) throw new Error('sign-in set no __Host-sid cookie')
    return { cookie, ms }
  }
  const session = async (cookie: string): Promise<Session> => {
    const m = await me(cookie)
    if (m.status !== 200 || !m.csrf) throw new Error(`GET /api/me answered ${m.status} for a fresh session`)
    const list = (await (await api('/api/sessions', { headers: { cookie } })).json()) as Array<{ id: string; current: boolean }>
    const id = list.find((s) => s.current)?.id
    if (!id) throw new Error('GET /api/sessions does not mark the current session')
    return { cookie, csrf: m.csrf, id }
  }

  /** Revokes `victim` from `revoker`, then polls /api/me with the victim's cookie until it is refused. */
  const revokeProbe = async (victim: Session, revoker: Session) => {
    if ((await me(victim.cookie)).status !== 200) throw new Error('the victim session was not live before its revocation')
    const tSend = performance.now()
    const del = await api(`/api/sessions/${victim.id}`, { method: 'DELETE', headers: { cookie: revoker.cookie, 'x-csrf-token': revoker.csrf, origin } })
    await del.arrayBuffer()
    if (del.status !== 204) throw new Error(`DELETE /api/sessions/:id answered ${del.status}`)
    const tRevoked = performance.now()
    for (let polls = 1; ; polls++) {
      const { status } = await me(victim.cookie)
      const elapsed = performance.now() - tRevoked
      if (status === 401) return { deleteMs: tRevoked - tSend, deniedMs: elapsed, polls }
      if (status !== 200) throw new Error(`GET /api/me with the revoked cookie answered ${status}`)
      if (elapsed > DENY_DEADLINE_MS) return { deleteMs: tRevoked - tSend, deniedMs: Number.POSITIVE_INFINITY, polls }
    }
  }

  try {
    // The operator first (the CLI creates the embedded database), then the platform on it. `init` on a
    // fresh home does not create run/ for its database lock, so the home is laid out here as `start` would.
    for (const dir of ['run', 'vault', 'db']) privateDir(prepareHome(home).path, dir)
    const init = await runBulwark(['init', '--email', email, '--password-stdin'], env, password)
    if (init.code !== 0) throw new Error(`bulwark init failed (${init.code}): ${init.stderr.trim()}`)
    const started = startServer(home, env)
    servers = started.processes
    servers.forEach(keepLog)
    const deadline = Date.now() + 120_000
    for (;;) {
      const gone = servers.find((p) => p.exitCode !== null)
      if (gone) throw new Error(`a platform process exited with ${gone.exitCode} while starting`)
      if (Date.now() > deadline) throw new Error('bulwark did not become ready within 120 s')
      const ready = await api('/readyz').then((r) => r.status === 200, () => false)
      if (ready) break
      await sleep(100)
    }
    console.log(`platform: ${started.how}`)
    if ((await me('__Host-sid=none')).status !== 401) throw new Error('GET /api/me without a session did not answer 401')

    // Sign-ins: two unmeasured (JIT, first argon2 instance), then LOGINS one after another, nothing else running.
    for (let i = 0; i < 2; i++) await login()
    const logins: Array<{ cookie: string; ms: number }> = []
    for (let i = 0; i < LOGINS; i++) logins.push(await login())
    const loginMs = logins.map((l) => l.ms)
    const [loadS, revoker, ...victims] = await Promise.all(logins.slice(0, 2 + REVOKE_AT_MS.length).map((l) => session(l.cookie)))
    if (!loadS || !revoker || victims.length < REVOKE_AT_MS.length) throw new Error(`need at least ${2 + REVOKE_AT_MS.length} sessions (BENCH_LOGINS)`)

    // The load generator gets its job on stdin, so the cookie never shows on a command line.
    worker = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'load-worker.ts')], { stdio: ['pipe', 'pipe', 'pipe'] })
    const w = worker
    let workerOut = ''
    let workerErr = ''
    w.stdout?.on('data', (c: Buffer) => (workerOut += c.toString('utf8')))
    const loadStarted = new Promise<void>((resolve, reject) => {
      w.stderr?.on('data', (c: Buffer) => {
        workerErr += c.toString('utf8')
        if (workerErr.includes('load started')) resolve()
      })
      w.once('exit', (code) => reject(new Error(`the load worker exited with ${code}: ${workerErr.trim()}`)))
    })
    const finished = new Promise<LoadResult>((resolve, reject) =>
      w.once('exit', (code) => {
        const line = workerOut.trim().split('\n').pop()
        if (code === 0 && line) resolve(JSON.parse(line) as LoadResult)
        else reject(new Error(`the load worker exited with ${code}: ${workerErr.trim()}`))
      }),
    )
    finished.catch(() => {}) // awaited below; a rejection before then must not be unhandled
    const job: LoadJob = { url: `${origin}/api/me`, connections: CONNECTIONS, durationSeconds: DURATION_S, headers: { cookie: loadS.cookie } }
    w.stdin?.end(`${JSON.stringify(job)}\n`)
    const api0 = apiPid(home)
    if (!api0) throw new Error('cannot find the api process')
    const cpuBefore = cpuMs(api0)
    await loadStarted
    const loadStart = performance.now()

    const probes: Array<Awaited<ReturnType<typeof revokeProbe>> & { atMs: number }> = []
    for (const [i, at] of REVOKE_AT_MS.entries()) {
      await sleep(Math.max(0, at - (performance.now() - loadStart)))
      const victim = victims[i]
      if (victim) probes.push({ ...(await revokeProbe(victim, revoker)), atMs: performance.now() - loadStart })
    }
    const load = await finished
    const apiCpuMs = cpuMs(api0) - cpuBefore
    const probeRequests = probes.reduce((n, p) => n + p.polls + 2, 0)
    const cpuPerReqMs = apiCpuMs / (load.requests.total + probeRequests)
    const stillLive = (await me(loadS.cookie)).status
    if (stillLive !== 200) throw new Error(`the load session answered ${stillLive} after the load`)

    const reqPerSec = load.requests.average
    const worstDenied = Math.max(...probes.map((p) => p.deniedMs))
    const codes = Object.entries(load.statusCodeStats ?? {}).map(([code, s]) => `${code}×${s.count}`).join(', ')
    console.log(`auth benchmark: embedded PGlite, ${CONNECTIONS} connections × ${DURATION_S} s of GET /api/me, autocannon in its own process`)
    console.log(`GET /api/me: ${reqPerSec.toFixed(0)} req/s (${load.requests.total} requests), latency p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms, max ${load.latency.max} ms`)
    console.log(`  status codes: ${codes || 'none'}; non-2xx ${load.non2xx}, errors ${load.errors}, timeouts ${load.timeouts}`)
    console.log(`  api process CPU: ${(apiCpuMs / 1000).toFixed(1)} s for ${load.requests.total + probeRequests} requests = ${cpuPerReqMs.toFixed(2)} ms per request (one core's ceiling ≈ ${Math.round(1000 / cpuPerReqMs)} req/s; the machine's load average was ${loadavg()[0]?.toFixed(1)} on ${availableParallelism()} cores)`)
    console.log(`  target ≥ ${TARGET_REQ_PER_SEC} req/s: ${reqPerSec >= TARGET_REQ_PER_SEC ? 'met' : 'NOT met'}`)
    console.log(`sign-in (${LOGINS} sequential, argon2id m=19 MiB t=2): p50 ${r1(pct(loginMs, 50))} ms, p99 ${r1(pct(loginMs, 99))} ms, min ${r1(Math.min(...loginMs))} ms`)
    for (const p of probes) {
      const denied = Number.isFinite(p.deniedMs) ? `denied ${r1(p.deniedMs)} ms after the 204 (${p.polls} poll${p.polls === 1 ? '' : 's'})` : `STILL ACCEPTED ${DENY_DEADLINE_MS} ms after the 204`
      console.log(`revocation under load at ${(p.atMs / 1000).toFixed(1)} s: DELETE took ${r1(p.deleteMs)} ms, ${denied}`)
    }
    console.log(`  revoked session refused within 1 s: ${worstDenied <= 1_000 ? 'yes' : 'NO'} (worst ${Number.isFinite(worstDenied) ? `${r1(worstDenied)} ms` : 'never'})`)
    console.log(
      JSON.stringify({
        name: 'auth',
        meReqPerSec: Math.round(reqPerSec),
        meP99Ms: load.latency.p99,
        meP50Ms: load.latency.p50,
        loginP50Ms: r1(pct(loginMs, 50)),
        loginP99Ms: r1(pct(loginMs, 99)),
        revokeToDeniedMs: Number.isFinite(worstDenied) ? r1(worstDenied) : null,
        non2xx: load.non2xx,
        apiCpuMsPerReq: Number(cpuPerReqMs.toFixed(3)),
        errors: load.errors + load.timeouts,
        connections: CONNECTIONS,
        durationS: DURATION_S,
        targetMet: reqPerSec >= TARGET_REQ_PER_SEC,
      }),
    )
  } catch (err) {
    if (serverLog.trim()) process.stderr.write(`--- bulwark stderr (last part) ---\n${serverLog.trim()}\n`)
    throw err
  } finally {
    if (worker && worker.exitCode === null) {
      worker.kill('SIGTERM')
      await exited(worker, 5_000)
    }
    // SIGTERM first (the supervisor, or the api, drains; then the signer); anything left is killed by id.
    for (const p of servers) {
      p.kill('SIGTERM')
      if (!(await exited(p, 20_000))) p.kill('SIGKILL')
    }
    await sleep(200)
    for (const pid of pidsOf(home)) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    rmSync(root, { recursive: true, force: true })
  }
}

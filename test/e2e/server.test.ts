import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { randomBytes } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { request as httpsRequest } from 'node:https'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { freePort, runBulwark, spawnBulwark, waitForReady, type Running } from '../support/cli.js'
import { backends, createPostgresDatabase } from '../support/databases.js'

const temps: string[] = []
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'bulwark-e2e-'))
  temps.push(d)
  return d
}
const running: Running[] = []
afterAll(async () => {
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGKILL')
  for (const d of temps) rmSync(d, { recursive: true, force: true })
})

const startPlatform = async (env: Record<string, string>) => {
  const port = await freePort()
  const fullEnv = { PORT: String(port), ...env }
  const proc = spawnBulwark(['start'], fullEnv)
  running.push(proc)
  const base = `http://127.0.0.1:${port}`
  await waitForReady(`${base}/readyz`, proc)
  return { proc, base, port, env: fullEnv }
}

/** No stack traces for the user: one line naming the cause and the fix. */
const expectOneCleanLine = (stderr: string) => {
  const lines = stderr.trim().split('\n').filter(Boolean)
  expect(lines).toHaveLength(1)
  expect(stderr).not.toMatch(/^\s+at /m)
}

describe('bulwark start on a fresh home', () => {
  it('serves the web shell, health and readiness; the CLI works through the admin socket; SIGTERM exits 0', async () => {
    const home = join(tempDir(), 'home')
    const { proc, base, env } = await startPlatform({ BULWARK_HOME: home })
    expect(statSync(home).mode & 0o777).toBe(0o700)

    const ready = await fetch(`${base}/readyz`)
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', signer: 'ok' } })
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' })
    expect(await (await fetch(`${base}/api/version`)).json()).toMatchObject({ name: 'bulwark' })

    const page = await fetch(`${base}/`, { headers: { accept: 'text/html' } })
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    const html = await page.text()
    expect(html).toContain('<div id="root">')
    expect(html).not.toMatch(/<script>(?!<\/script>)/) // no inline script body under the CSP
    const deepLink = await fetch(`${base}/settings/security`, { headers: { accept: 'text/html' } })
    expect(deepLink.status).toBe(200) // the dashboard routes itself

    expect(proc.stdout()).toMatch(/one-time setup token:\s+\S{20,}/)

    const doctor = await runBulwark(['doctor'], env)
    expect(doctor.code).toBe(0)
    expect(doctor.stdout).toMatch(/✓ instance: running as process \d+/)
    expect(doctor.stdout).toContain('same-user mode')
    expect(doctor.stdout).toContain('one disk')

    const init = await runBulwark(['init', '--email', 'Ops@Example.com', '--password-stdin'], env, 'a long enough passphrase for the operator\n')
    expect(init.stderr).toBe('')
    expect(init.stdout).toMatch(/^operator ops@example\.com created/)
    expect(await (await fetch(`${base}/api/setup`)).json()).toEqual({ needsSetup: false })

    const verify = await runBulwark(['audit', 'verify', '--json'], env)
    expect(verify.code).toBe(0)
    const verdicts = JSON.parse(verify.stdout) as Array<{ chain: string; ok: boolean; entries: number }>
    expect(verdicts.every((v) => v.ok)).toBe(true)
    expect(verdicts.map((v) => v.chain)).toContain('system')

    expect((await runBulwark(['migrate'], env)).stdout).toBe('database is up to date\n')

    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
    expect(existsSync(join(home, 'run', 'instance.lock'))).toBe(false)
    expect(existsSync(join(home, 'run', 'db.lock'))).toBe(false)

    // Stopped: the CLI opens the database itself, and the chain still verifies (now with platform_stopped).
    const after = await runBulwark(['audit', 'verify'], env)
    expect(after.code).toBe(0)
    expect(after.stdout).toMatch(/✓ system: \d+ entries verified/)

    // A damaged control file: the next start says the database may be corrupt and how to recover.
    writeFileSync(join(home, 'db', 'global', 'pg_control'), randomBytes(100))
    const corrupt = await runBulwark(['start'], { ...env, PORT: String(await freePort()) })
    expect(corrupt.code).toBe(1)
    expectOneCleanLine(corrupt.stderr)
    expect(corrupt.stderr).toContain('cannot be opened (it may be corrupt): restore it from a backup, or move it aside')
  }, 90_000)

  it('finishes an in-flight request during graceful shutdown, then exits 0', async () => {
    const { proc, port } = await startPlatform({ BULWARK_HOME: join(tempDir(), 'home') })
    const body = JSON.stringify({ token: 'x'.repeat(32), email: 'late@example.com', password: 'a long enough passphrase here', workspaceName: 'W' })
    const socket = connect(port, '127.0.0.1')
    let response = ''
    socket.on('data', (c: Buffer) => (response += c.toString()))
    await new Promise<void>((r) => socket.once('connect', () => r()))
    // Half the request now, SIGTERM while it is in flight, the rest afterwards.
    socket.write(`POST /api/setup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 20)}`)
    await new Promise((r) => setTimeout(r, 200))
    proc.child.kill('SIGTERM')
    await new Promise((r) => setTimeout(r, 300))
    expect(proc.child.exitCode).toBeNull() // still waiting for the in-flight request
    socket.write(body.slice(20))
    expect(await proc.exited).toBe(0)
    expect(response).toMatch(/^HTTP\/1\.1 403/) // answered (wrong setup token), not cut off
    expect(response).toContain('"code":"FORBIDDEN"')
  })
})

/** Processes of one instance, found by the BULWARK_HOME in their environment. */
const processesOf = (home: string) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`BULWARK_HOME=${home}`) && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ')
      } catch {
        return false
      }
    })

describe('the supervisor killed outright', () => {
  it('takes the signer and the api with it: no orphan keeps the vault open', async () => {
    const home = join(tempDir(), 'home')
    const { proc } = await startPlatform({ BULWARK_HOME: home })
    expect(processesOf(home).length).toBeGreaterThanOrEqual(3) // supervisor, signer, api
    proc.child.kill('SIGKILL')
    await proc.exited
    for (let i = 0; i < 100 && processesOf(home).length > 0; i++) await new Promise((r) => setTimeout(r, 100))
    expect(processesOf(home)).toEqual([])
  })
})

describe('bad input and failure at start: one clear line, exit 1, nothing half-created', () => {
  it('a port in use: names the port, and a fresh home is not left behind', async () => {
    const blocker: Server = createServer()
    const port = await freePort()
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()))
    const home = join(tempDir(), 'never')
    const result = await runBulwark(['start'], { BULWARK_HOME: home, PORT: String(port) })
    blocker.close()
    expect(result.code).toBe(1)
    expectOneCleanLine(result.stderr)
    expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use: stop the other process or set PORT`)
    expect(existsSync(home)).toBe(false)
  })

  it('a world-readable BULWARK_HOME: refused with the chmod fix', async () => {
    const home = tempDir()
    chmodSync(home, 0o755)
    const result = await runBulwark(['start'], { BULWARK_HOME: home, PORT: String(await freePort()) })
    expect(result.code).toBe(1)
    expectOneCleanLine(result.stderr)
    expect(result.stderr).toContain(`run \`chmod 700 ${home}\``)
  })

  it('invalid configuration: every problem listed, no stack trace', async () => {
    const result = await runBulwark(['start'], { BULWARK_HOME: tempDir(), PORT: 'http', PUBLIC_ORIGIN: 'http://example.com/x', LOG_LEVEL: 'chatty' })
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/invalid configuration \(\d+ problems\)/)
    for (const name of ['PORT', 'PUBLIC_ORIGIN', 'LOG_LEVEL']) expect(result.stderr).toContain(`  - ${name}:`)
    expect(result.stderr).toContain('PORT: must be a whole number from 0 to 65535 (got "http")')
    expect(result.stderr).not.toMatch(/^\s+at /m)
  })

  it('a second instance on the same home is refused while the first runs', async () => {
    const home = join(tempDir(), 'home')
    const { proc } = await startPlatform({ BULWARK_HOME: home })
    const second = await runBulwark(['start'], { BULWARK_HOME: home, PORT: String(await freePort()) })
    expect(second.code).toBe(1)
    expectOneCleanLine(second.stderr)
    expect(second.stderr).toContain(`is in use by process ${proc.child.pid}`)
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  })

  it('a corrupt embedded database: says so and how to recover', async () => {
    const home = tempDir()
    mkdirSync(join(home, 'db'), { mode: 0o700 })
    writeFileSync(join(home, 'db', 'notes.txt'), 'not a database')
    const result = await runBulwark(['start'], { BULWARK_HOME: home, PORT: String(await freePort()) })
    expect(result.code).toBe(1)
    expectOneCleanLine(result.stderr)
    expect(result.stderr).toContain('is not an embedded database directory: move it aside')
    expect(existsSync(join(home, 'db', 'notes.txt'))).toBe(true) // nothing of the user's was touched
  })

  it('an unreachable DATABASE_URL: names the server and the fix', async () => {
    const result = await runBulwark(['start'], { BULWARK_HOME: join(tempDir(), 'h'), PORT: String(await freePort()), DATABASE_URL: 'postgres://bulwark@127.0.0.1:1/bulwark' })
    expect(result.code).toBe(1)
    expectOneCleanLine(result.stderr)
    expect(result.stderr).toContain('cannot reach PostgreSQL at 127.0.0.1:1/bulwark (ECONNREFUSED): start the server or fix DATABASE_URL')
  })

  it('CLI verbs that only read refuse to create an empty database', async () => {
    const home = join(tempDir(), 'empty')
    const result = await runBulwark(['audit', 'verify'], { BULWARK_HOME: home })
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('no embedded database at')
    expect(existsSync(home)).toBe(false)
  })

  it('prints help for every command', async () => {
    const help = await runBulwark(['--help'], {})
    expect(help.code).toBe(0)
    for (const verb of ['start', 'migrate', 'init', 'doctor', 'audit', 'outbox', 'version']) expect(help.stdout).toContain(verb)
    expect((await runBulwark(['audit', 'verify', '--help'], {})).stdout).toContain('--chain')
    expect((await runBulwark(['version'], {})).stdout).toMatch(/^bulwark \d+\.\d+\.\d+\n$/)
  })
})

describe.runIf(backends.includes('postgres'))('bulwark start on PostgreSQL', () => {
  it('migrates an empty database, serves /readyz and stops cleanly', async () => {
    const { url, drop } = await createPostgresDatabase({ fromTemplate: false })
    try {
      const { proc, base, env } = await startPlatform({ BULWARK_HOME: join(tempDir(), 'home'), DATABASE_URL: url })
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ready', checks: { database: 'ok', signer: 'ok' } })
      const doctor = await runBulwark(['doctor'], env)
      expect(doctor.stdout).toMatch(/✓ storage: postgres: \d+ migrations applied, 0 pending/)
      expect(doctor.stdout).not.toContain('embedded mode keeps every store')
      proc.child.kill('SIGTERM')
      expect(await proc.exited).toBe(0)
      // Stopped: with PostgreSQL the CLI reads the database directly.
      const verify = await runBulwark(['audit', 'verify'], env)
      expect(verify.stdout).toMatch(/✓ system: 2 entries verified/) // platform_started, platform_stopped
    } finally {
      await drop()
    }
  })
})

/** GET over HTTPS trusting the self-signed test certificate only for this call. */
const httpsGet = (url: string) =>
  new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
    const req = httpsRequest(url, { rejectUnauthorized: false }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })

describe('built-in HTTPS', () => {
  it('serves over TLS with HSTS when given a certificate and key', async () => {
    const dir = tempDir()
    const cert = join(dir, 'cert.pem')
    const key = join(dir, 'key.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' })
    const port = await freePort()
    const proc = spawnBulwark(['start'], { BULWARK_HOME: join(dir, 'home'), PORT: String(port), TLS_CERT_FILE: cert, TLS_KEY_FILE: key, PUBLIC_ORIGIN: `https://localhost:${port}` })
    running.push(proc)
    let res: Awaited<ReturnType<typeof httpsGet>> | undefined
    for (let i = 0; i < 300 && res?.status !== 200; i++) {
      res = await httpsGet(`https://127.0.0.1:${port}/readyz`).catch(() => undefined)
      if (res?.status !== 200) await new Promise((r) => setTimeout(r, 100))
    }
    expect(res?.status).toBe(200)
    expect(res?.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains')
    proc.child.kill('SIGTERM')
    expect(await proc.exited).toBe(0)
  })
})

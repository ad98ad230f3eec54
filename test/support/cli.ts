import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'

export const repoRoot = join(import.meta.dirname, '..', '..')
export const bulwarkBin = join(repoRoot, 'bin', 'bulwark.js')

/** A port nobody listens on right now. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const srv = createServer()
    srv.once('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address()
      const port = typeof address === 'object' && address ? address.port : 0
      srv.close(() => resolve(port))
    })
  })

/** Only what we choose: the CI environment's DATABASE_URL must not leak into an embedded-mode test. */
export const cleanEnv = (vars: Record<string, string>): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  LOG_LEVEL: 'warn',
  // Tests run as root in CI; their homes are private temp folders the service users could not enter.
  // Separated mode has its own suite (test/e2e/separation.test.ts).
  BULWARK_SEPARATE_USERS: 'off',
  ...vars,
})

export type Running = { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> }

export const spawnBulwark = (args: string[], env: Record<string, string>, input?: string): Running => {
  const child = spawn(process.execPath, [bulwarkBin, ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()))
  if (input !== undefined) child.stdin?.end(input)
  else child.stdin?.end()
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, stdout: () => out, stderr: () => err, exited }
}

/** Runs a CLI command to completion. */
export const runBulwark = async (args: string[], env: Record<string, string>, input?: string) => {
  const run = spawnBulwark(args, env, input)
  const code = await run.exited
  return { code, stdout: run.stdout(), stderr: run.stderr() }
}

/** Polls until `url` answers 200, or the process exits, or the time is up. */
export const waitForReady = async (url: string, running: Running, timeoutMs = 60_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  let exitedWith: number | null | undefined
  void running.exited.then((c) => (exitedWith = c))
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) throw new Error(`bulwark exited with ${exitedWith}: ${running.stderr()}`)
    try {
      const res = await fetch(url)
      if (res.status === 200) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`not ready after ${timeoutMs} ms: ${running.stderr()}`)
}

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Cold start (fresh BULWARK_HOME: secrets generated, PGlite created, migrations applied) and warm start
 * (same home again) of `bulwark start`, each to the first /readyz 200 (database and signer ready), and
 * resident memory of every process (supervisor, signer, api) after a warm start. Run with the build in place (`npm run build`).
 */
const bin = join(import.meta.dirname, '..', 'bin', 'bulwark.js')

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })

const rssMB = (pid: number) => {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))
  return Math.round(Number(line?.split(/\s+/)[1] ?? 0) / 1024)
}

/** Resident memory of each process of one instance (found by its BULWARK_HOME), by role. */
const rssByRole = (home: string) => {
  const out: Record<'supervisor' | 'api' | 'signer', number> = { supervisor: 0, api: 0, signer: 0 }
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`BULWARK_HOME=${home}`)) continue
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8')
      const role = cmd.includes('dist/signer/main.js') ? 'signer' : cmd.includes('dist/main.js') ? 'api' : cmd.includes('bin/bulwark.js') ? 'supervisor' : undefined
      if (role && !cmd.startsWith('prlimit')) out[role] = Math.max(out[role], rssMB(Number(pid)))
    } catch {
      // the process ended meanwhile
    }
  }
  return out
}

const startOnce = async (home: string): Promise<{ ms: number; child: ChildProcess }> => {
  const port = await freePort()
  const t0 = performance.now()
  const child = spawn(process.execPath, [bin, 'start'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BULWARK_HOME: home, PORT: String(port), LOG_LEVEL: 'warn', BULWARK_SEPARATE_USERS: 'off' },
    stdio: 'ignore',
  })
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bulwark exited with ${child.exitCode}`)
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return { ms: performance.now() - t0, child }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10))
  }
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
  })

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

export const run = async () => {
  const cold: number[] = []
  const warm: number[] = []
  let rss = { supervisor: 0, api: 0, signer: 0 }
  for (let i = 0; i < 3; i++) {
    const home = join(mkdtempSync(join(tmpdir(), 'bulwark-bench-')), 'home')
    const first = await startOnce(home)
    cold.push(first.ms)
    await stop(first.child)
    for (let j = 0; j < 2; j++) {
      const again = await startOnce(home)
      warm.push(again.ms)
      await new Promise((r) => setTimeout(r, 500)) // let start-up garbage settle before reading RSS
      const now = rssByRole(home)
      rss = { supervisor: Math.max(rss.supervisor, now.supervisor), api: Math.max(rss.api, now.api), signer: Math.max(rss.signer, now.signer) }
      await stop(again.child)
    }
    rmSync(join(home, '..'), { recursive: true, force: true })
  }
  console.log(`cold start to /readyz: ${cold.map((x) => x.toFixed(0)).join(', ')} ms (median ${median(cold).toFixed(0)})`)
  console.log(`warm start to /readyz: ${warm.map((x) => x.toFixed(0)).join(', ')} ms (median ${median(warm).toFixed(0)})`)
  console.log(`RSS after a warm start: api ${rss.api} MB, signer ${rss.signer} MB, supervisor ${rss.supervisor} MB`)
  console.log(JSON.stringify({ name: 'startup', coldMs: Math.round(median(cold)), warmMs: Math.round(median(warm)), apiRssMB: rss.api, signerRssMB: rss.signer, supervisorRssMB: rss.supervisor }))
}

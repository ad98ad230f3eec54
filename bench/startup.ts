import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Cold start (fresh BULWARK_HOME: secrets generated, PGlite created, migrations applied) and warm start
 * (same home again) of `bulwark start`, each to the first /readyz 200, and resident memory of every
 * process after a warm start. Run with the build in place (`npm run build`).
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

const startOnce = async (home: string): Promise<{ ms: number; child: ChildProcess }> => {
  const port = await freePort()
  const t0 = performance.now()
  const child = spawn(process.execPath, [bin, 'start'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BULWARK_HOME: home, PORT: String(port), LOG_LEVEL: 'warn' },
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
  let apiRss = 0
  for (let i = 0; i < 3; i++) {
    const home = join(mkdtempSync(join(tmpdir(), 'bulwark-bench-')), 'home')
    const first = await startOnce(home)
    cold.push(first.ms)
    await stop(first.child)
    for (let j = 0; j < 2; j++) {
      const again = await startOnce(home)
      warm.push(again.ms)
      await new Promise((r) => setTimeout(r, 500)) // let start-up garbage settle before reading RSS
      apiRss = Math.max(apiRss, rssMB(again.child.pid ?? 0))
      await stop(again.child)
    }
    rmSync(join(home, '..'), { recursive: true, force: true })
  }
  console.log(`cold start to /readyz: ${cold.map((x) => x.toFixed(0)).join(', ')} ms (median ${median(cold).toFixed(0)})`)
  console.log(`warm start to /readyz: ${warm.map((x) => x.toFixed(0)).join(', ')} ms (median ${median(warm).toFixed(0)})`)
  console.log(`api process RSS after warm start: ${apiRss} MB (one process: the signer arrives with the vault issue)`)
  console.log(JSON.stringify({ name: 'startup', coldMs: Math.round(median(cold)), warmMs: Math.round(median(warm)), apiRssMB: apiRss }))
}

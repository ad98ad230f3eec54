import { createRequire } from 'node:module'

/**
 * The load generator for `bench/auth.ts`, run as a process of its own so autocannon's event loop does
 * not share a core's time with the server or with the bench's own probes. It reads its job as one JSON
 * line on stdin (the session cookie stays off the command line, where `ps` would show it) and prints
 * autocannon's result as one JSON line on stdout.
 */
export type LoadJob = { url: string; connections: number; durationSeconds: number; headers: Record<string, string> }

/** The part of autocannon's result the bench reads (autocannon ships no types). */
export type LoadResult = {
  requests: { average: number; total: number }
  latency: { p50: number; p99: number; average: number; max: number }
  non2xx: number
  errors: number
  timeouts: number
  duration: number
  statusCodeStats: Record<string, { count: number }>
}

type Autocannon = (opts: { url: string; connections: number; duration: number; headers: Record<string, string> }) => Promise<LoadResult>
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

const readLine = () =>
  new Promise<string>((resolve) => {
    let buf = ''
    process.stdin.on('data', (c: Buffer) => {
      buf += c.toString('utf8')
      const nl = buf.indexOf('\n')
      if (nl >= 0) resolve(buf.slice(0, nl))
    })
  })

const job = JSON.parse(await readLine()) as LoadJob
process.stdin.pause()
process.stderr.write('load started\n')
const result = await autocannon({ url: job.url, connections: job.connections, duration: job.durationSeconds, headers: job.headers })
process.stdout.write(`${JSON.stringify(result)}\n`)

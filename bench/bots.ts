import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Dumps } from './bots-env.js'
import type { IndicatorResult } from './bots-indicators.js'
import type { CapacityResult, GovernedResult } from './bots-webhook.js'

/**
 * `npm run bench -- bots` (issue 7): (1) 1,000 and 10,000 concurrent indicator signal bots on Demo,
 * driven by a real-time replay of real 1-minute candles, one price update per symbol per second spread
 * over the second, then synchronized bursts (every symbol's price and candle close at once): resident
 * memory and p99 latency from price update to order decision (bench/bots-indicators.ts); (2) webhook
 * signals → order acknowledged by the Binance emulator through the real signer over 20 keys: the highest
 * sustained rate with zero errors and p99 ≤ 100 ms with the emulator's and the signer's rate limits off,
 * then governance with Binance's published per-IP limit enforced (bench/bots-webhook.ts).
 *
 * Each part runs in a process of its own (bench/bots-worker.ts), so one part's memory, garbage and timers
 * do not show in another's figures; the migrated databases are made once, in a process of their own too
 * (migrating a PGlite costs ~1 GB). Databases are persistent PGlite directories in a temporary folder.
 */

const SECONDS_1K = Number(process.env.BENCH_BOTS_SECONDS_1K ?? 15)
const SECONDS_10K = Number(process.env.BENCH_BOTS_SECONDS_10K ?? 25)
const RATES = [5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 400, 500, 600, 800]
const STEP_SECONDS = 5
const GOVERNED_SECONDS = 25

const worker = <T>(args: string[]): Promise<T> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join(import.meta.dirname, 'bots-worker.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')))
    child.on('error', reject)
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0) return reject(new Error(`bench worker "${args[0] ?? ''}" exited with ${String(code)}`))
      try {
        resolve(JSON.parse(last) as T)
      } catch {
        reject(new Error(`bench worker "${args[0] ?? ''}" printed no result`))
      }
    })
  })

/** Which database the parts use (bench/bots-env.ts `openDumped`). */
const databaseKind = () => (process.env.BENCH_BOTS_DATABASE_URL ? 'PostgreSQL server on this machine' : 'persistent PGlite in a temp dir')

const la = () => Number((loadavg()[0] ?? 0).toFixed(1))

export const run = async () => {
  const out = process.stdout
  const work = mkdtempSync(join(tmpdir(), 'bulwark-bench-bots-'))
  const loadAtStart = la()
  const started = performance.now()
  try {
    process.stderr.write(`bots: ${cpus().length} cores, load average ${loadAtStart} at start (other processes on this machine share the cores)\n`)
    const dumps = await worker<Dumps>(['prepare', work])
    const small = await worker<IndicatorResult>(['indicators', '1000', dumps.api, String(SECONDS_1K)])
    const large = await worker<IndicatorResult>(['indicators', '10000', dumps.api, String(SECONDS_10K)])
    const capacity = await worker<CapacityResult>(['webhook-capacity', dumps.api, dumps.vault, RATES.join(','), String(STEP_SECONDS)])
    // Governance is asked at the rate the stack keeps up with (at least 20/s, above what the production budget lets through).
    const governedOffered = Math.max(20, capacity.sustainedRatePerSec)
    const governed = await worker<GovernedResult>(['webhook-governed', dumps.api, dumps.vault, String(governedOffered), String(GOVERNED_SECONDS)])
    const loadAtEnd = la()

    const part1 = (r: IndicatorResult) =>
      `  ${r.bots.toLocaleString('en')} bots (${r.attached} running): rss ${r.rssAfterWarmupMB} MB after warm-up (peak ${r.peakRssMB} MB, ${r.baselineRssMB} MB before the bots), ` +
      `spread p99 ${r.spread.steps.p99} ms over ${r.spread.steps.n} decisions (price ${r.spread.priceSteps.p99} ms, indicator signals ${r.spread.signalSteps.p99} ms over ${r.spread.signalSteps.n}), ` +
      `burst p99 ${r.burst.steps.p99} ms (price ${r.burst.priceSteps.p99} ms, signals ${r.burst.signalSteps.p99} ms over ${r.burst.signalSteps.n}); ` +
      `orders ${r.ordersPlacedMeasured} (${JSON.stringify(r.intentsByState)}), feed lag p99 ${r.spread.feedLag.p99} ms, cpu ${r.spread.cpuPercent} %, lease drops ${r.warnings['warn: bot state write refused (lease or version moved): dropping the bot here'] ?? 0}\n`
    out.write(`part 1: indicator bots on Demo — 100 demo accounts, 100 markets, real 1m BTC/ETH candles replayed at 1 update per symbol per second (${databaseKind()})\n`)
    out.write(part1(small))
    out.write(part1(large))
    for (const r of [small, large]) for (const reason of r.rejections) out.write(`    rejected (${r.bots} bots): ${reason}\n`)
    out.write(`part 2: webhook → signer → Binance emulator over ${capacity.keys} keys (${capacity.bots} bots)\n`)
    for (const s of capacity.steps) {
      out.write(`  ${s.rate}/s offered: p50 ${s.p50} ms, p99 ${s.p99} ms, ${s.ordersPerSec} orders/s acknowledged, errors ${s.errors}, cpu ${s.cpuPercent} %${s.failures.length > 0 ? ` (${s.failures[0] ?? ''})` : ''}${s.passed ? '' : ' → fails (p99 over 100 ms or errors)'}\n`)
    }
    out.write(
      `  capacity (emulator and signer limits off): ${capacity.webhookRatePerSec}/s with zero errors at p99 ≤ 100 ms (p99 ${capacity.webhookP99Ms ?? '-'} ms at ${capacity.webhookP99AtRatePerSec ?? '-'}/s); ` +
        `kept up (zero errors, p99 ≤ 1 s) to ${capacity.sustainedRatePerSec}/s (p99 ${capacity.sustainedP99Ms ?? '-'} ms)\n`,
    )
    const g = governed.step
    out.write(
      `  governed (6,000 weight/min per IP enforced, production signer budget): ${governedOffered}/s offered for ${g.seconds} s → ${governed.governedRatePerSec} orders/s acknowledged, p99 ${g.p99} ms, ` +
        `429: ${governed.bans[429]}, 418: ${governed.bans[418]}, refused before the exchange: ${JSON.stringify(g.intents)}, most orders by one key in 10 s: ${governed.maxOrdersPer10sPerKey} (limit 100)\n`,
    )
    for (const reason of g.failures) out.write(`    not sent: ${reason}\n`)
    out.write(`    emulator requests in the window: ${JSON.stringify(governed.requestsByPath)}\n`)
    if (governed.minuteBeforeFirst429 !== null) out.write(`    in the minute up to the first 429 (warm-up included): ${JSON.stringify(governed.minuteBeforeFirst429)}\n`)
    out.write(`  total ${Math.round((performance.now() - started) / 1000)} s; load average ${loadAtStart} at start, ${loadAtEnd} at end\n`)
    out.write(
      `${JSON.stringify({
        name: 'bots',
        bots: large.bots,
        rssMB: large.rssAfterWarmupMB,
        tickP99Ms: large.spread.steps.p99,
        burstP99Ms: large.burst.steps.p99,
        webhookP99Ms: capacity.webhookP99Ms,
        webhookRatePerSec: capacity.webhookRatePerSec,
        webhookP99AtRatePerSec: capacity.webhookP99AtRatePerSec,
        webhookSustainedRatePerSec: capacity.sustainedRatePerSec,
        webhookSustainedP99Ms: capacity.sustainedP99Ms,
        governedBans: governed.governedBans,
        governedRatePerSec: governed.governedRatePerSec,
        governedOfferedPerSec: governedOffered,
        rssPeakMB: large.peakRssMB,
        rssBaselineMB: large.baselineRssMB,
        heapMB: large.heapAfterWarmupMB,
        externalMB: large.externalAfterWarmupMB,
        tickPriceP99Ms: large.spread.priceSteps.p99,
        signalP99Ms: large.spread.signalSteps.p99,
        burstPriceP99Ms: large.burst.priceSteps.p99,
        burstSignalP99Ms: large.burst.signalSteps.p99,
        updateDoneP99Ms: large.spread.perUpdate.p99,
        burstUpdateDoneP99Ms: large.burst.perUpdate.p99,
        ordersPlaced: large.ordersPlacedMeasured,
        indicatorSignals: large.indicatorSignals,
        feedLagP99Ms: large.spread.feedLag.p99,
        leaseDrops: large.warnings['warn: bot state write refused (lease or version moved): dropping the bot here'] ?? 0,
        bots1000RssMB: small.rssAfterWarmupMB,
        tickP99Ms1000: small.spread.steps.p99,
        burstP99Ms1000: small.burst.steps.p99,
        ordersPlaced1000: small.ordersPlacedMeasured,
        webhookSteps: capacity.steps.map((s) => ({ rate: s.rate, p50: s.p50, p99: s.p99, ordersPerSec: s.ordersPerSec, errors: s.errors, cpuPercent: s.cpuPercent })),
        governed429: governed.bans[429],
        governed418: governed.bans[418],
        maxOrdersPer10sPerKey: governed.maxOrdersPer10sPerKey,
        database: databaseKind(),
        loadAverage: { start: loadAtStart, end: loadAtEnd },
        meetsTargets: {
          memory: large.rssAfterWarmupMB <= 1024,
          tick: large.spread.steps.p99 <= 50,
          burst: large.burst.steps.p99 <= 250,
          webhook: capacity.webhookRatePerSec >= 300,
          bans: governed.governedBans === 0,
        },
      })}\n`,
    )
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

import { prepareDumps } from './bots-env.js'
import { runIndicators } from './bots-indicators.js'
import { runWebhooks } from './bots-webhook.js'

/**
 * A process of the `bots` benchmark (bench/bots.ts spawns one per part, so each part's memory and
 * event loop are its own): `prepare <dir>` writes migrated database dumps; `indicators <bots> <api dump>
 * <seconds>` runs part 1 at one size; `webhook-capacity <api dump> <vault dump> <rates,…> <seconds>` and
 * `webhook-governed <api dump> <vault dump> <rate> <seconds>` run part 2. Progress goes to stderr; the
 * result is the one JSON line on stdout.
 */
const [mode, a = '', b = '', c = '', d = ''] = process.argv.slice(2)
const run = async (): Promise<unknown> => {
  switch (mode) {
    case 'prepare':
      return prepareDumps(a)
    case 'indicators':
      return runIndicators(Number(a), b, Number(c))
    case 'webhook-capacity':
      return runWebhooks('capacity', a, b, { rates: c.split(',').map(Number), stepSeconds: Number(d), governedRate: 0, governedSeconds: 0 })
    case 'webhook-governed':
      return runWebhooks('governed', a, b, { rates: [], stepSeconds: 0, governedRate: Number(c), governedSeconds: Number(d) })
    default:
      throw new Error(`unknown mode ${String(mode)}`)
  }
}
process.stdout.write(`${JSON.stringify(await run())}\n`)
// PGlite, pino and fetch's pool keep handles open; the result is out.
process.exit(0)

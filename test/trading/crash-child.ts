// An api process in miniature for trading-crash.test.ts (`node --import tsx test/trading/crash-child.ts`):
// it opens the file-backed embedded database, talks to the signer over its socket, and places one order
// through the order journal. As a process root it arms the fault points itself, so it dies at the one
// named in BULWARK_FAULT_POINTS. If it survives, it prints the intent as one JSON line.
import { openDatabase } from '../../src/db/index.js'
import { systemClock } from '../../src/lib/clock.js'
import { armFaultPoints, parseFaultPoints } from '../../src/lib/fault.js'
import { createSignerClient } from '../../src/signer/index.js'
import { createOrderJournal } from '../../src/trading/journal/index.js'
import { apiSide } from './journal-fixtures.js'

const need = (name: string): string => {
  const v = process.env[name]
  if (v === undefined || v === '') throw new Error(`${name} is required`)
  return v
}

const { points, problems } = parseFaultPoints(process.env.BULWARK_FAULT_POINTS ?? '')
if (problems.length > 0) throw new Error(problems.join('; '))
armFaultPoints(points)

const database = await openDatabase({ kind: 'pglite', dataDir: need('CRASH_DATA_DIR'), lockPath: need('CRASH_LOCK_PATH') })
const signer = createSignerClient({ socketPath: need('CRASH_SIGNER_SOCKET') })
try {
  const side = apiSide(database.db, systemClock, signer)
  const journal = createOrderJournal({ db: database.db, clock: systemClock, venues: side.venues, alerts: side.alerts })
  const intent = await journal.place({
    workspaceId: need('CRASH_WORKSPACE_ID'),
    botId: null,
    key: need('CRASH_INTENT_KEY'),
    account: { kind: 'exchange', id: need('CRASH_ACCOUNT_ID') },
    purpose: 'entry',
    order: { symbol: 'BTC/USDT', side: 'buy', type: 'market', amount: '0.001' },
  })
  process.stdout.write(`${JSON.stringify(intent)}\n`)
} finally {
  signer.close()
  await database.close()
}

import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../support/databases.js'
import { startSignerHarness } from '../support/signer-harness.js'
import { createManualClock } from '../../src/lib/clock.js'
import { newId } from '../../src/lib/ids.js'
import { createLogger } from '../../src/lib/logger.js'
import { createAlerts, createAuditChain, createAuditCheckpointer, createCheckpointSource, readChainPage, verifyAllChains, verifyChain, workspaceChain } from '../../src/monitoring/index.js'
import { createCheckpointSigner } from '../../src/signer/index.js'

/** R38 against the real signer: it signs the heads with its own Ed25519 key, keeps them, and verify uses them. */
describe.each(backends)('audit checkpoints signed by the real signer on %s (R38)', (kind) => {
  const clock = createManualClock('2026-12-05T10:00:00Z')
  let harness: Awaited<ReturnType<typeof startSignerHarness>>
  let database: TestDatabase
  beforeAll(async () => {
    harness = await startSignerHarness(kind, { clock, emulator: { accounts: [] } })
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await harness?.close()
    await database.dispose()
  })

  it('signs moved heads, refuses a rewound head, and catches a truncated tail and head row', async () => {
    const signer = createCheckpointSigner(harness.client)
    const ws = newId()
    const chain = workspaceChain(ws)
    const audit = createAuditChain({ db: database.db, clock })
    for (let i = 0; i < 20; i++) await audit.append({ workspaceId: ws, type: 'order_placed', actor: { type: 'system', id: 'bot-runtime' }, outcome: 'success', details: { i } })
    const checkpointer = createAuditCheckpointer({ db: database.db, clock, signer, alerts: createAlerts({ db: database.db, clock }), logger: createLogger({ level: 'silent' }) })
    expect((await checkpointer.checkpointAll()).failed).toBe(0)

    const source = createCheckpointSource(signer)
    const checkpoints = await source.forChain(chain)
    expect(checkpoints.checkpoints.map((c) => c.seq)).toEqual([20])
    expect(await verifyChain(database.db, chain, { checkpoints })).toMatchObject({ ok: true, entries: 20, checkpointsVerified: 1 })

    // The api asking the signer to vouch for an older head of the same chain is refused (history only moves forward).
    const [tenth] = await readChainPage(database.db, chain, 9, 1)
    await expect(signer.sign({ chain, seq: 10, head: tenth?.hash ?? '', time: clock.now().toISOString() })).rejects.toMatchObject({ code: 'CONFLICT' })

    await database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_events disable trigger audit_events_append_only`)
      await tx.execute(sql`delete from audit_events where chain = ${chain} and seq > 10`)
      await tx.execute(sql`update audit_chain_heads set seq = 10, hash = ${tenth?.hash ?? ''} where chain = ${chain}`)
      await tx.execute(sql`alter table audit_events enable trigger audit_events_append_only`)
    })
    expect(await verifyAllChains(database.db, chain, { checkpoints: source })).toMatchObject([{ ok: false, firstBadSeq: 11, reason: 'truncated' }])
  })
})

import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync, gzipSync } from 'node:zlib'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends, openTestDatabase, type TestDatabase } from '../../test/support/databases.js'
import { createManualClock } from '../lib/clock.js'
import { newId } from '../lib/ids.js'
import { createLogger } from '../lib/logger.js'
import { checkpointMessage } from '../crypto/checkpoint-format.js'
import { createAlerts } from './alerts.js'
import { createAuditChain } from './audit-chain.js'
import { createAuditCheckpointer, createCheckpointSource, type CheckpointSigner, type SignedCheckpoint } from './audit-checkpoints.js'
import { csvCell, csvRow, exportLines, verifyExportFile } from './audit-export.js'
import { archiveFileCheck, createAuditArchiver } from './audit-archive.js'
import { queryAudit } from './audit-query.js'
import { verifyChain } from './audit-verify.js'
import { workspaceChain } from './audit-types.js'
import { defaultWorkspaceSettings } from './workspace-settings.js'

/** The signer's checkpoint contract (see audit-checkpoints.test.ts): its own Ed25519 key, forward-only. */
const checkpointStore = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const stored: SignedCheckpoint[] = []
  const signer: CheckpointSigner = {
    sign: async (cp) => {
      const signed = { ...cp, signedAt: cp.time, signature: sign(null, checkpointMessage(cp), privateKey).toString('base64'), keyId: 'test-key' }
      stored.push(signed)
      return signed
    },
    list: async ({ chain, afterSeq = -1, limit }) => ({
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      keyId: 'test-key',
      checkpoints: stored.filter((c) => (chain === undefined || c.chain === chain) && c.seq > afterSeq).slice(0, limit),
    }),
  }
  return { signer, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString() }
}

const collect = async (lines: AsyncIterable<string>) => {
  let text = ''
  for await (const l of lines) text += l
  return text
}

describe.each(backends)('audit export, archive and query on %s', (kind) => {
  let database: TestDatabase
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-audit-export-'))
  const clock = createManualClock('2026-01-01T00:00:00Z')
  const logger = createLogger({ level: 'silent' })
  beforeAll(async () => {
    database = await openTestDatabase(kind)
  })
  afterAll(async () => {
    await database.dispose()
  })

  /** n entries a minute apart; the head signed after `checkpointAt` entries (and at the end when asked). */
  const seeded = async (n: number, checkpointAt: number[]) => {
    const ws = newId()
    const chain = workspaceChain(ws)
    const audit = createAuditChain({ db: database.db, clock })
    const store = checkpointStore()
    const checkpointer = createAuditCheckpointer({ db: database.db, clock, signer: store.signer, alerts: createAlerts({ db: database.db, clock }), logger })
    const times: string[] = []
    for (let i = 1; i <= n; i++) {
      clock.advance(60_000)
      times.push(clock.now().toISOString())
      await audit.append({ workspaceId: ws, type: i % 2 ? 'session_created' : 'key_connected', actor: { type: 'user', id: i % 3 ? 'alice' : 'bob' }, outcome: i % 5 ? 'success' : 'failure', details: { i, note: `entry ${i}` } })
      if (checkpointAt.includes(i)) await checkpointer.checkpointAll()
    }
    const source = createCheckpointSource(store.signer)
    return { ws, chain, times, source, store, audit, checkpointer }
  }

  const writeExport = async (text: string) => {
    const path = join(dir, `${newId()}.jsonl`)
    writeFileSync(path, text)
    return path
  }

  it('exports a range as JSONL extended to the checkpoint that vouches for it, and verifies it offline', async () => {
    const { chain, times, source } = await seeded(30, [20])
    const text = await collect(exportLines(database.db, { chain, from: new Date(times[4] ?? ''), to: new Date(times[15] ?? ''), format: 'jsonl' }, source))
    const lines = text.trim().split('\n')
    const trailer = JSON.parse(lines.at(-1) ?? '') as { fromSeq: number; toSeq: number; checkpoints: SignedCheckpoint[]; anchor: string; publicKey: string }
    // Seq 5..15 were asked for; the export runs on to 20, where the signed checkpoint vouches for all of it.
    expect(trailer).toMatchObject({ chain, fromSeq: 5, toSeq: 20, entries: 16 })
    expect(trailer.checkpoints.map((c) => c.seq)).toEqual([20])
    expect(trailer.anchor).toBe((JSON.parse(lines[0] ?? '') as { prevHash: string }).prevHash)
    const path = await writeExport(text)
    expect(await verifyExportFile(path)).toMatchObject({ ok: true, entries: 16, fromSeq: 5, toSeq: 20, checkpointsVerified: 1, verifiedThroughSeq: 20, unverifiedTail: 0 })
  })

  it('says which entries no signature vouches for yet', async () => {
    const { chain, source } = await seeded(12, [8])
    const path = await writeExport(await collect(exportLines(database.db, { chain, format: 'jsonl' }, source)))
    expect(await verifyExportFile(path)).toMatchObject({ ok: true, entries: 12, verifiedThroughSeq: 8, unverifiedTail: 4 })
  })

  it('catches an edited entry, cut-off entries and a foreign key offline', async () => {
    const { chain, source } = await seeded(10, [10])
    const text = await collect(exportLines(database.db, { chain, format: 'jsonl' }, source))
    const lines = text.trim().split('\n')
    const edited = [...lines]
    edited[3] = (edited[3] ?? '').replace('"outcome":"success"', '"outcome":"denied"').replace('"outcome":"failure"', '"outcome":"denied"')
    expect(await verifyExportFile(await writeExport(`${edited.join('\n')}\n`))).toMatchObject({ ok: false, firstBadSeq: 4, reason: 'hash_mismatch' })

    // Drop the last two entries and fix the trailer's counts: the signed checkpoint at 10 still says no.
    const trailer = JSON.parse(lines.at(-1) ?? '') as Record<string, unknown>
    const cut = [...lines.slice(0, 8), JSON.stringify({ ...trailer, toSeq: 8, entries: 8 })]
    expect(await verifyExportFile(await writeExport(`${cut.join('\n')}\n`))).toMatchObject({ ok: false, firstBadSeq: 9, reason: 'truncated' })

    const other = checkpointStore()
    expect(await verifyExportFile(await writeExport(text), { pinnedPublicKey: other.publicKeyPem })).toMatchObject({ ok: false, reason: 'key_mismatch' })
  })

  it('writes CSV a spreadsheet cannot execute', async () => {
    expect(['=1+1', '+SUM(A1)', '-2', '@cmd', '\tx', 'plain', 'a,b', 'say "hi"'].map(csvCell)).toEqual(["'=1+1", "'+SUM(A1)", "'-2", "'@cmd", "'\tx", 'plain', '"a,b"', '"say ""hi"""'])
    const ws = newId()
    const entry = await createAuditChain({ db: database.db, clock }).append({ workspaceId: ws, type: 'user_renamed', actor: { type: 'user', id: '=HYPERLINK("http://evil")' }, outcome: 'success', details: { name: '=cmd|/c calc' } })
    const row = csvRow(entry)
    expect(row).toContain(`"'=HYPERLINK(""http://evil"")"`)
    expect(row.split(',').every((cell) => !/^[=+\-@]/.test(cell))).toBe(true)
    const csv = await collect(exportLines(database.db, { chain: workspaceChain(ws), format: 'csv' }))
    expect(csv.split('\r\n')[0]).toBe('seq,occurredAt,type,actorType,actorId,outcome,ip,requestId,details,prevHash,hash')
  })

  it('queries newest first with filters, search and stable keyset paging', async () => {
    const { ws } = await seeded(12, [])
    const all = await queryAudit(database.db, ws, {}, { limit: 5 })
    expect(all.entries.map((e) => e.seq)).toEqual([12, 11, 10, 9, 8])
    const next = await queryAudit(database.db, ws, {}, { limit: 5, cursor: Number(all.nextCursor) })
    expect(next.entries.map((e) => e.seq)).toEqual([7, 6, 5, 4, 3])
    const last = await queryAudit(database.db, ws, {}, { limit: 5, cursor: Number(next.nextCursor) })
    expect([last.entries.map((e) => e.seq), last.nextCursor]).toEqual([[2, 1], null])
    expect((await queryAudit(database.db, ws, { type: 'key_connected', actor: 'bob' }, { limit: 50 })).entries.map((e) => e.seq)).toEqual([12, 6])
    expect((await queryAudit(database.db, ws, { outcome: 'failure' }, { limit: 50 })).entries.map((e) => e.seq)).toEqual([10, 5])
    expect((await queryAudit(database.db, ws, { q: 'ENTRY 1' }, { limit: 50 })).entries.map((e) => e.seq)).toEqual([12, 11, 10, 1])
    expect((await queryAudit(database.db, ws, { q: '100%' }, { limit: 50 })).entries).toEqual([]) // % is literal
  })

  it('archives entries past retention up to a signed checkpoint, and the chain still verifies', async () => {
    const { ws, chain, source, checkpointer, audit } = await seeded(10, [6])
    clock.advance(31 * 86_400_000)
    await audit.append({ workspaceId: ws, type: 'session_created', actor: { type: 'system' }, outcome: 'success' })
    await checkpointer.checkpointAll()
    const archiveDir = join(dir, 'archive')
    const settingsFor = (retentionDays: number) => ({ get: async () => ({ ...defaultWorkspaceSettings(), audit: { retentionDays } }) })
    const archiver = (retentionDays: number) =>
      createAuditArchiver({ db: database.db, clock, settings: settingsFor(retentionDays), checkpoints: source, alerts: createAlerts({ db: database.db, clock }), logger, dir: archiveDir })

    expect((await archiver(0).archiveOld()).filter((s) => s.chain === chain)).toEqual([]) // 0 keeps everything
    const [segment] = (await archiver(30).archiveOld()).filter((s) => s.chain === chain)
    // Seq 1..10 are past retention, but only 1..6 end at a signed checkpoint: 7..10 stay live for now.
    expect(segment).toMatchObject({ chain, fromSeq: 1, toSeq: 6, entries: 6 })
    const live = await database.db.execute(sql`select min(seq) as first, count(*)::int as n from audit_events where chain = ${chain}`)
    expect((live as unknown as { rows: Array<{ first: string | number; n: number }> }).rows[0]).toMatchObject({ n: 5 })

    const checkpoints = await source.forChain(chain)
    const check = archiveFileCheck(archiveDir)
    expect(await verifyChain(database.db, chain, { checkpoints, checkArchiveFile: check })).toMatchObject({ ok: true, entries: 5, archivedEntries: 6, checkpointsVerified: 1 })
    const file = join(archiveDir, segment?.file ?? '')
    expect(await verifyExportFile(file)).toMatchObject({ ok: true, entries: 6, verifiedThroughSeq: 6 })

    // An archive file edited afterwards no longer matches its record.
    const text = gunzipSync(readFileSync(file)).toString('utf8').replace('"note":"entry 2"', '"note":"entry two"')
    writeFileSync(file, gzipSync(text))
    expect(await verifyChain(database.db, chain, { checkpoints, checkArchiveFile: check })).toMatchObject({ ok: false, firstBadSeq: 1, reason: 'archive_mismatch' })
  })

  it('refuses to delete audit rows outside an archive transaction', async () => {
    const { chain } = await seeded(3, [3])
    await expect(database.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('bulwark.audit_archive', 'on', true)`)
      await tx.execute(sql`delete from audit_events where chain = ${chain}`)
    })).rejects.toThrow()
  })
})

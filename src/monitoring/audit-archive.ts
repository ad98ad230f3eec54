import { closeSync, constants, createReadStream, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import { Readable } from 'node:stream'
import { and, eq, lt, sql } from 'drizzle-orm'
import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import { newId } from '../lib/ids.js'
import { schema, type Db } from '../db/index.js'
import type { Alerts } from './alerts.js'
import { lastArchive, listChains, type ArchiveRecord } from './audit-store.js'
import { GENESIS_HASH } from './audit-types.js'
import type { ChainCheckpoints, CheckpointSource } from './audit-checkpoints.js'
import { exportEntries, trailerOf, verifyExportFile } from './audit-export.js'
import { createRecompute } from './audit-recompute.js'
import type { ArchiveFileCheck } from './audit-verify.js'
import type { WorkspaceSettingsService } from './workspace-settings.js'

const { auditEvents, auditArchives } = schema
const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_SYNC } = constants

export type ArchivedSegment = { chain: string; fromSeq: number; toSeq: number; entries: number; file: string }

export type AuditArchiverDeps = {
  db: Db
  clock: Clock
  settings: Pick<WorkspaceSettingsService, 'get'>
  checkpoints: CheckpointSource
  alerts: Pick<Alerts, 'raise'>
  logger: Pick<Logger, 'info' | 'warn'>
  /** AUDIT_ARCHIVE_DIR (BULWARK_HOME/archive by default). */
  dir: string
}

/** `ws:<uuid>` → `ws-<uuid>`: a chain name as a directory name. */
const chainDir = (chain: string) => chain.replace(/[^a-z0-9-]/gi, '-')

/**
 * Writes lines gzipped to `path` durably: a fresh temp file opened O_SYNC (Node's permission model
 * disables fsync; every write returns once on disk), then a rename. Returns the file's SHA-256.
 */
const writeGzipDurably = async (path: string, lines: AsyncIterable<string>): Promise<string> => {
  const tmp = `${path}.tmp-${randomBytes(8).toString('hex')}`
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_SYNC, 0o600)
  const sha = createHash('sha256')
  try {
    await pipeline(
      Readable.from(lines),
      createGzip(),
      new Writable({
        write(chunk: Buffer, _enc, done) {
          try {
            writeSync(fd, chunk)
            sha.update(chunk)
            done()
          } catch (err) {
            done(err as Error)
          }
        },
      }),
    )
  } catch (err) {
    closeSync(fd)
    rmSync(tmp, { force: true })
    throw err
  }
  closeSync(fd)
  renameSync(tmp, path)
  return sha.digest('hex')
}

/**
 * Retention (workspace setting `audit.retentionDays`; 0 keeps everything live). A segment leaves
 * `audit_events` only when it is past retention AND ends at a signed checkpoint: it is recomputed,
 * written to a gzip JSONL file with that checkpoint (the same format as an export, so `bulwark audit
 * verify-export` checks it), recorded in `audit_archives`, and deleted in that transaction under
 * `bulwark.audit_archive = on` (migration 0008 allows DELETE only then, only for recorded seqs).
 */
export const createAuditArchiver = ({ db, clock, settings, checkpoints, alerts, logger, dir }: AuditArchiverDeps) => {
  const archiveChain = async (chain: string, workspaceId: string): Promise<ArchivedSegment | undefined> => {
    const { retentionDays } = (await settings.get(workspaceId)).audit
    if (retentionDays === 0) return undefined
    const cutoff = new Date(clock.now().getTime() - retentionDays * 86_400_000)
    const previous = await lastArchive(db, chain)
    const start = previous ? { seq: previous.toSeq + 1, prevHash: previous.lastHash } : { seq: 1, prevHash: GENESIS_HASH }
    const [expired] = await db
      .select({ last: sql<string | null>`max(${auditEvents.seq})` })
      .from(auditEvents)
      .where(and(eq(auditEvents.chain, chain), lt(auditEvents.occurredAt, cutoff)))
    const lastExpired = expired?.last === null || expired?.last === undefined ? 0 : Number(expired.last)
    if (lastExpired < start.seq) return undefined
    const cps: ChainCheckpoints = await checkpoints.forChain(chain)
    // The segment ends at the newest signed checkpoint inside the expired part: the file carries its own proof.
    const end = cps.checkpoints.filter((c) => c.seq >= start.seq && c.seq <= lastExpired).at(-1)
    if (!end) return undefined
    const range = { firstSeq: start.seq, lastSeq: end.seq }

    // Recompute before anything leaves the table: a tampered segment is reported, never archived away.
    const run = createRecompute(start, [end])
    for await (const e of exportEntries(db, chain, range)) {
      const broken = run.push(e)
      if (broken) return refuse(chain, `${broken.reason} at seq ${broken.firstBadSeq}`)
    }
    const cut = run.finish()
    if (cut || run.lastSeq !== end.seq) return refuse(chain, `the chain does not reach checkpoint seq ${end.seq}`)

    const folder = join(dir, chainDir(chain))
    mkdirSync(folder, { recursive: true, mode: 0o700 })
    const name = `${chainDir(chain)}/${String(range.firstSeq).padStart(12, '0')}-${String(range.lastSeq).padStart(12, '0')}.jsonl.gz`
    const path = join(dir, name)
    const entries = run.entries
    async function* lines() {
      for await (const e of exportEntries(db, chain, range)) yield `${JSON.stringify(e)}\n`
      yield `${JSON.stringify(trailerOf(chain, { ...range, anchor: start.prevHash }, entries, { ...cps, checkpoints: [end as NonNullable<typeof end>] }))}\n`
    }
    const fileSha256 = await writeGzipDurably(path, lines())
    try {
      await db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('bulwark.audit_archive', 'on', true)`)
        await tx.insert(auditArchives).values({
          id: newId(clock.now().getTime()),
          chain,
          fromSeq: range.firstSeq,
          toSeq: range.lastSeq,
          firstPrevHash: start.prevHash,
          lastHash: run.lastHash,
          file: name,
          fileSha256,
          entries,
          createdAt: clock.now(),
        })
        await tx.delete(auditEvents).where(and(eq(auditEvents.chain, chain), sql`${auditEvents.seq} between ${range.firstSeq} and ${range.lastSeq}`))
      })
    } catch (err) {
      // Nothing was deleted: the file is an orphan; remove it so a retry writes it afresh.
      rmSync(path, { force: true })
      throw err
    }
    logger.info({ chain, fromSeq: range.firstSeq, toSeq: range.lastSeq, entries }, 'audit segment archived')
    return { chain, fromSeq: range.firstSeq, toSeq: range.lastSeq, entries, file: name }
  }

  const refuse = async (chain: string, reason: string): Promise<undefined> => {
    logger.warn({ chain, reason }, 'audit segment not archived: it does not verify')
    await alerts.raise({ workspaceId: null, rule: 'audit_archive_refused', severity: 'critical', details: { chain, reason }, dedupKey: chain })
    return undefined
  }

  /** One pass over every workspace chain; a chain that fails is logged and left for the next pass. */
  const archiveOld = async (): Promise<ArchivedSegment[]> => {
    const done: ArchivedSegment[] = []
    for (const { chain } of await listChains(db)) {
      if (!chain.startsWith('ws:')) continue
      try {
        const segment = await archiveChain(chain, chain.slice(3))
        if (segment) done.push(segment)
      } catch (err) {
        logger.warn({ err, chain }, 'audit archiving failed')
      }
    }
    return done
  }

  return { archiveOld }
}

export type AuditArchiver = ReturnType<typeof createAuditArchiver>

/**
 * For `verifyChain`: reads an archive file, checks its SHA-256 against the record, and recomputes it
 * (anchor, links, its checkpoint under the pinned key when one is given).
 */
export const archiveFileCheck =
  (dir: string): ArchiveFileCheck =>
  async (record: ArchiveRecord, cps: ChainCheckpoints | undefined) => {
    const path = resolve(dir, record.file)
    const fail = { ok: false as const, firstBadSeq: record.fromSeq }
    try {
      const sha = createHash('sha256')
      for await (const chunk of createReadStream(path)) sha.update(chunk as Buffer)
      if (sha.digest('hex') !== record.fileSha256) return fail
      const verdict = await verifyExportFile(path, cps?.publicKey ? { pinnedPublicKey: cps.publicKey } : {})
      if (!verdict.ok) return { ok: false, firstBadSeq: verdict.firstBadSeq ?? record.fromSeq }
      const matches = verdict.chain === record.chain && verdict.fromSeq === record.fromSeq && verdict.toSeq === record.toSeq && verdict.anchor === record.firstPrevHash && verdict.lastHash === record.lastHash
      return matches && verdict.verifiedThroughSeq === record.toSeq ? { ok: true } : fail
    } catch {
      return fail
    }
  }

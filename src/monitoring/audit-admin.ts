import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import type { Db } from '../db/index.js'
import type { AuditChain } from './audit-chain.js'
import type { CheckpointSource } from './audit-checkpoints.js'
import type { AuditCheckpointer } from './audit-checkpoints.js'
import type { AuditArchiver } from './audit-archive.js'
import { archiveFileCheck } from './audit-archive.js'
import { exportEntries, exportRange, exportFormats, csvHeader, csvRow, trailerOf, assertExportWindow } from './audit-export.js'
import type { AuditHasher } from './audit-hash.js'
import { verifyAllChains } from './audit-verify.js'
import { chainHead } from './audit-store.js'

export type AuditAdminDeps = {
  db: Db
  audit: Pick<AuditChain, 'append'>
  /** The audit HMAC (platform secret `auditHmac`); `audit-hash` is refused without it. */
  hasher?: AuditHasher | undefined
  /** Absent when no signer is configured: verify then checks links and head rows only. */
  checkpoints?: CheckpointSource | undefined
  checkpointer?: Pick<AuditCheckpointer, 'checkpointAll'> | undefined
  archiver?: Pick<AuditArchiver, 'archiveOld'> | undefined
  archiveDir: string
}

const chainName = z.string().regex(/^(system|ws:[0-9a-f-]{36})$/, 'a chain is `system` or `ws:<workspace id>`')
const isoDate = z.iso.datetime({ offset: true }).transform((s) => new Date(s))
const exportPage = z
  .object({
    chain: chainName,
    from: isoDate.optional(),
    to: isoDate.optional(),
    format: z.enum(exportFormats).default('jsonl'),
    /** Paging: the range the first page fixed, and the last seq already written. */
    range: z.object({ firstSeq: z.number().int().min(1), lastSeq: z.number().int().min(0) }).optional(),
    afterSeq: z.number().int().min(0).optional(),
    anchor: z.string().optional(),
    written: z.number().int().min(0).default(0),
  })
  .strict()

const PAGE = 2_000
const operator = { type: 'operator_cli' as const }

const parse = <T>(schema: z.ZodType<T>, body: unknown): T => {
  const r = schema.safeParse(body)
  if (!r.success) throw new AppError('BAD_INPUT', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '))
  return r.data
}

/**
 * The running instance's audit verbs on the admin socket (the api root adds them to `startAdminSocket`):
 * `audit-verify`, `audit-export` (paged: the CLI loops until `done`), `audit-hash`, `audit-checkpoint`,
 * `audit-archive`. Operator actions are themselves recorded on the system chain.
 */
export const auditAdminHandlers = (deps: AuditAdminDeps): Record<string, (body: Record<string, unknown>) => Promise<unknown>> => ({
  'audit-verify': async (body) => {
    const { chain, checkArchives } = parse(z.object({ chain: chainName.optional(), checkArchives: z.boolean().optional() }).strict(), body)
    return verifyAllChains(deps.db, chain, { ...(deps.checkpoints ? { checkpoints: deps.checkpoints } : {}), ...(checkArchives ? { checkArchiveFile: archiveFileCheck(deps.archiveDir) } : {}) })
  },
  'audit-export': async (body) => {
    const input = parse(exportPage, body)
    assertExportWindow(input.from, input.to)
    const checkpoints = deps.checkpoints ? await deps.checkpoints.forChain(input.chain) : undefined
    const range = input.range ?? (await exportRange(deps.db, input.chain, input, checkpoints))
    const lines: string[] = []
    if (!input.range && input.format === 'csv') lines.push(csvHeader)
    if (!range) {
      if (input.format === 'jsonl') lines.push(`${JSON.stringify(trailerOf(input.chain, null, 0, checkpoints))}\n`)
      return { lines, done: true }
    }
    if (!input.range) {
      await deps.audit.append({ workspaceId: input.chain === 'system' ? null : input.chain.slice(3), type: 'audit_exported', actor: operator, outcome: 'success', details: { chain: input.chain, fromSeq: range.firstSeq, toSeq: range.lastSeq, format: input.format, via: 'cli' } })
    }
    let anchor = input.anchor
    let afterSeq = input.afterSeq ?? range.firstSeq - 1
    let written = input.written
    for await (const e of exportEntries(deps.db, input.chain, { firstSeq: afterSeq + 1, lastSeq: range.lastSeq })) {
      anchor ??= e.prevHash
      lines.push(input.format === 'csv' ? csvRow(e) : `${JSON.stringify(e)}\n`)
      afterSeq = e.seq
      written++
      if (lines.length >= PAGE) break
    }
    const done = afterSeq >= range.lastSeq || lines.length < PAGE
    if (done && input.format === 'jsonl') lines.push(`${JSON.stringify(trailerOf(input.chain, anchor === undefined ? null : { ...range, anchor }, written, checkpoints))}\n`)
    return { lines, done, next: done ? undefined : { range, afterSeq, anchor, written } }
  },
  'audit-hash': async (body) => {
    const { value } = parse(z.object({ value: z.string().min(1).max(4_096) }).strict(), body)
    if (!deps.hasher) throw new AppError('UNAVAILABLE', 'the audit key is not loaded here')
    await deps.audit.append({ workspaceId: null, type: 'audit_hash_checked', actor: operator, outcome: 'success' })
    return { hash: deps.hasher.auditHash(value) }
  },
  'audit-checkpoint': async () => {
    if (!deps.checkpointer) throw new AppError('UNAVAILABLE', 'no signer is configured: audit checkpoints cannot be signed')
    return deps.checkpointer.checkpointAll()
  },
  'audit-archive': async () => {
    if (!deps.archiver) throw new AppError('UNAVAILABLE', 'no signer is configured: segments are archived only under a signed checkpoint')
    const segments = await deps.archiver.archiveOld()
    return { segments, heads: await Promise.all(segments.map(async (s) => ({ chain: s.chain, head: await chainHead(deps.db, s.chain) }))) }
  },
})

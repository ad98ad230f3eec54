import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { createGunzip } from 'node:zlib'
import type { Readable } from 'node:stream'
import { and, eq, gte, lt, sql } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import { schema, type DbOrTx } from '../db/index.js'
import { auditOutcomes, type AuditEntry } from './audit-types.js'
import { readChainPage } from './audit-store.js'
import { publicKeyOf, type ChainCheckpoints, type CheckpointSource, type SignedCheckpoint } from './audit-checkpoints.js'
import { createRecompute, firstInvalidCheckpoint, type BreakReason } from './audit-recompute.js'

const { auditEvents } = schema

export const exportFormats = ['jsonl', 'csv'] as const
export type ExportFormat = (typeof exportFormats)[number]

/** The last JSONL line: what an auditor needs to verify the entries above it offline. */
export type ExportTrailer = {
  chain: string
  /** prevHash of the first entry: the recomputation starts from it. */
  anchor: string
  fromSeq: number
  toSeq: number
  entries: number
  /** The signed checkpoints inside [fromSeq, toSeq], and the key that verifies them (null without a signer). */
  checkpoints: SignedCheckpoint[]
  publicKey: string | null
  keyId: string | null
}

export type ExportRange = { firstSeq: number; lastSeq: number }

/**
 * The contiguous seq range of a chain's live entries in [from, to), extended to the first signed
 * checkpoint at or after its end, so that every exported entry can be verified offline (entries newer
 * than the newest checkpoint stay an unverified tail, and the verifier says so). Null when empty.
 */
export const exportRange = async (db: DbOrTx, chain: string, window: { from?: Date | undefined; to?: Date | undefined }, checkpoints?: ChainCheckpoints): Promise<ExportRange | null> => {
  const [row] = await db
    .select({ first: sql<string | null>`min(${auditEvents.seq})`, last: sql<string | null>`max(${auditEvents.seq})` })
    .from(auditEvents)
    .where(and(eq(auditEvents.chain, chain), window.from ? gte(auditEvents.occurredAt, window.from) : undefined, window.to ? lt(auditEvents.occurredAt, window.to) : undefined))
  if (!row || row.first === null || row.last === null) return null
  const firstSeq = Number(row.first)
  let lastSeq = Number(row.last)
  const vouching = checkpoints?.checkpoints.find((c) => c.seq >= lastSeq)
  if (vouching) lastSeq = vouching.seq
  return { firstSeq, lastSeq }
}

const PAGE = 2_000

/** The entries of [firstSeq, lastSeq] in seq order, a page at a time. */
export async function* exportEntries(db: DbOrTx, chain: string, range: ExportRange): AsyncGenerator<AuditEntry> {
  let after = range.firstSeq - 1
  for (;;) {
    const page = await readChainPage(db, chain, after, PAGE, range.lastSeq)
    yield* page
    if (page.length < PAGE) return
    after = page.at(-1)?.seq ?? range.lastSeq
  }
}

const csvColumns = ['seq', 'occurredAt', 'type', 'actorType', 'actorId', 'outcome', 'ip', 'requestId', 'details', 'prevHash', 'hash'] as const

/**
 * One CSV cell, safe to open in a spreadsheet: a cell a spreadsheet would read as a formula (starting
 * with = + - @, or a tab / carriage return) gets a leading `'`; quotes, commas and newlines are quoted.
 */
export const csvCell = (value: string | number | null): string => {
  const text = value === null ? '' : String(value)
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}

export const csvHeader = `${csvColumns.join(',')}\r\n`
export const csvRow = (e: AuditEntry): string =>
  `${[e.seq, e.occurredAt, e.type, e.actor.type, e.actor.id ?? null, e.outcome, e.ip, e.requestId, JSON.stringify(e.details), e.prevHash, e.hash].map(csvCell).join(',')}\r\n`

export type ExportInput = { chain: string; from?: Date | undefined; to?: Date | undefined; format: ExportFormat }

/** The checkpoints that vouch for [fromSeq, toSeq] (the export's trailer carries exactly these). */
export const checkpointsFor = (range: ExportRange, checkpoints: ChainCheckpoints | undefined): SignedCheckpoint[] =>
  (checkpoints?.checkpoints ?? []).filter((c) => c.seq >= range.firstSeq && c.seq <= range.lastSeq)

/**
 * Streams a compliance export, line by line: JSONL (entries, then the trailer) or CSV (entries only; the
 * checkpoints come from `…/audit/export/checkpoints`). Without a checkpoint source the trailer says so
 * (`publicKey: null`), and offline verification can check only the links.
 */
export async function* exportLines(db: DbOrTx, input: ExportInput, source?: CheckpointSource): AsyncGenerator<string> {
  const checkpoints = source ? await source.forChain(input.chain) : undefined
  const range = await exportRange(db, input.chain, input, checkpoints)
  if (input.format === 'csv') yield csvHeader
  if (!range) {
    if (input.format === 'jsonl') yield `${JSON.stringify(trailerOf(input.chain, null, 0, checkpoints))}\n`
    return
  }
  let anchor: string | undefined
  let count = 0
  for await (const e of exportEntries(db, input.chain, range)) {
    anchor ??= e.prevHash
    count++
    yield input.format === 'csv' ? csvRow(e) : `${JSON.stringify(e)}\n`
  }
  if (input.format === 'jsonl') yield `${JSON.stringify(trailerOf(input.chain, anchor === undefined ? null : { ...range, anchor }, count, checkpoints))}\n`
}

export const trailerOf = (chain: string, range: (ExportRange & { anchor: string }) | null, entries: number, checkpoints: ChainCheckpoints | undefined): ExportTrailer => ({
  chain,
  anchor: range?.anchor ?? '',
  fromSeq: range?.firstSeq ?? 0,
  toSeq: range?.lastSeq ?? 0,
  entries,
  checkpoints: range ? checkpointsFor(range, checkpoints) : [],
  publicKey: checkpoints?.publicKey ?? null,
  keyId: checkpoints?.keyId ?? null,
})

// ── Offline verification (`bulwark audit verify-export`, archive files) ───────────────────────────────

const exportedEntry = z.object({
  chain: z.string(),
  seq: z.number().int().min(1),
  prevHash: z.string(),
  hash: z.string(),
  workspaceId: z.string().nullable(),
  type: z.string(),
  actor: z.object({ type: z.enum(['user', 'system', 'operator_cli', 'api_token']), id: z.string().optional() }),
  occurredAt: z.string(),
  ip: z.string().nullable(),
  requestId: z.string().nullable(),
  outcome: z.enum(auditOutcomes),
  details: z.record(z.string(), z.unknown()),
})
const exportTrailer = z.object({
  chain: z.string(),
  anchor: z.string(),
  fromSeq: z.number().int(),
  toSeq: z.number().int(),
  entries: z.number().int(),
  checkpoints: z.array(z.object({ chain: z.string(), seq: z.number().int(), head: z.string(), time: z.string(), signedAt: z.string(), signature: z.string(), keyId: z.string() })),
  publicKey: z.string().nullable(),
  keyId: z.string().nullable(),
})

export type ExportVerdict = {
  ok: boolean
  chain: string | null
  entries: number
  fromSeq: number | null
  toSeq: number | null
  checkpointsVerified: number
  /** The newest seq a verified signature vouches for; entries after it are only linked, not vouched for. */
  verifiedThroughSeq: number | null
  unverifiedTail: number
  keyId: string | null
  /** prevHash of the first entry and hash of the last one read. */
  anchor: string | null
  lastHash: string | null
  firstBadSeq?: number
  reason?: BreakReason | 'malformed' | 'no_trailer' | 'key_mismatch'
  message?: string
}

/** Lines of a file, gunzipped when it ends in `.gz` (archive files). */
const fileLines = (path: string): AsyncIterable<string> => {
  const raw: Readable = createReadStream(path)
  return createInterface({ input: path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw, crlfDelay: Infinity })
}

const lastLine = async (lines: AsyncIterable<string>): Promise<string | undefined> => {
  let last: string | undefined
  for await (const line of lines) if (line.trim() !== '') last = line
  return last
}

/**
 * Verifies an export (or archive) file offline: every entry's hash recomputed from the anchor, links and
 * seqs contiguous, each checkpoint's Ed25519 signature checked under the included public key — or under
 * `pinnedPublicKey` (from `bulwark vault audit-key`), which must then be the same key — and the entry at
 * each checkpoint's seq must carry the signed head. Reads the file twice (trailer first), never whole.
 */
export const verifyExportFile = async (path: string, opts: { pinnedPublicKey?: string } = {}): Promise<ExportVerdict> => {
  const empty: ExportVerdict = { ok: false, chain: null, entries: 0, fromSeq: null, toSeq: null, checkpointsVerified: 0, verifiedThroughSeq: null, unverifiedTail: 0, keyId: null, anchor: null, lastHash: null }
  const tail = await lastLine(fileLines(path))
  let trailer: z.infer<typeof exportTrailer>
  try {
    trailer = exportTrailer.parse(JSON.parse(tail ?? ''))
  } catch {
    return { ...empty, reason: 'no_trailer', message: 'the last line is not an export trailer ({"checkpoints": …, "anchor": …})' }
  }
  const base = { ...empty, chain: trailer.chain, keyId: trailer.keyId, anchor: trailer.anchor }
  const keyPem = opts.pinnedPublicKey ?? trailer.publicKey
  if (opts.pinnedPublicKey && trailer.publicKey) {
    const same = publicKeyOf(opts.pinnedPublicKey).export({ type: 'spki', format: 'der' }).equals(publicKeyOf(trailer.publicKey).export({ type: 'spki', format: 'der' }))
    if (!same) return { ...base, reason: 'key_mismatch', message: 'the export was signed under another key than the pinned one' }
  }
  const checkpoints = trailer.checkpoints.filter((c) => c.chain === trailer.chain)
  if (checkpoints.length > 0) {
    if (!keyPem) return { ...base, reason: 'checkpoint_invalid', message: 'checkpoints without a public key to check them' }
    const invalid = firstInvalidCheckpoint(checkpoints, publicKeyOf(keyPem))
    if (invalid) return { ...base, firstBadSeq: invalid.seq, reason: 'checkpoint_invalid' }
  }
  if (trailer.entries === 0) return { ...base, ok: true }
  const run = createRecompute({ seq: trailer.fromSeq, prevHash: trailer.anchor }, checkpoints)
  const summary = () => ({
    entries: run.entries,
    fromSeq: trailer.fromSeq,
    toSeq: run.lastSeq,
    checkpointsVerified: run.checkpointsMatched,
    verifiedThroughSeq: run.lastCheckpoint?.seq ?? null,
    unverifiedTail: run.lastSeq - (run.lastCheckpoint?.seq ?? trailer.fromSeq - 1),
    lastHash: run.entries > 0 ? run.lastHash : null,
  })
  let seen = 0
  for await (const line of fileLines(path)) {
    if (line.trim() === '') continue
    if (seen === trailer.entries) break // the trailer
    seen++
    let entry: AuditEntry
    try {
      entry = exportedEntry.parse(JSON.parse(line)) as AuditEntry
    } catch {
      return { ...base, ...summary(), firstBadSeq: run.lastSeq + 1, reason: 'malformed', message: `line ${seen} is not an audit entry` }
    }
    if (entry.chain !== trailer.chain) return { ...base, ...summary(), firstBadSeq: entry.seq, reason: 'malformed', message: `line ${seen} belongs to chain ${entry.chain}` }
    const broken = run.push(entry)
    if (broken) return { ...base, ...summary(), ...broken }
  }
  if (seen !== trailer.entries || run.lastSeq !== trailer.toSeq) return { ...base, ...summary(), firstBadSeq: run.lastSeq + 1, reason: 'truncated', message: `the trailer announces seq ${trailer.fromSeq}..${trailer.toSeq}` }
  const cut = run.finish()
  if (cut) return { ...base, ...summary(), ...cut }
  return { ...base, ...summary(), ok: true }
}

/** A workspace export names its chain; `--chain` may name `system` too (operator only). */
export const assertExportWindow = (from: Date | undefined, to: Date | undefined) => {
  if (from && to && from.getTime() >= to.getTime()) throw new AppError('BAD_INPUT', '`from` must be before `to`')
}

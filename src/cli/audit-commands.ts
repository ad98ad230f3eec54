import { closeSync, constants, openSync, readFileSync, renameSync, writeSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join, resolve } from 'node:path'
import type { Command } from 'commander'
import { Option } from 'commander'
import { AppError } from '../lib/errors.js'
import { uuidPattern } from '../lib/ids.js'
import type { Config } from '../config/index.js'
import { auditAdminHandlers, verifyAllChains, archiveFileCheck, verifyExportFile, type ChainVerdict, type ExportVerdict } from '../monitoring/index.js'
import { createAuditChain } from '../monitoring/index.js'
import { systemClock } from '../lib/clock.js'
import { callAdmin } from './admin-client.js'
import type { CliContext } from './cli-context.js'

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_SYNC } = constants

export const archiveDirOf = (config: Pick<Config, 'AUDIT_ARCHIVE_DIR' | 'BULWARK_HOME'>) => resolve(config.AUDIT_ARCHIVE_DIR ?? join(config.BULWARK_HOME, 'archive'))

const describeVerdict = (v: ChainVerdict): string => {
  const archived = v.archivedEntries ? ` (+${v.archivedEntries} archived)` : ''
  const cp =
    v.checkpointsUnavailable !== undefined
      ? `; checkpoints not checked (${v.checkpointsUnavailable})`
      : v.lastCheckpoint
        ? `; ${v.checkpointsVerified ?? 0} signed checkpoint(s) match, newest at seq ${v.lastCheckpoint.seq} (${v.lastCheckpoint.time})`
        : v.checkpointsVerified === undefined
          ? ''
          : '; no signed checkpoint yet'
  return v.ok ? `✓ ${v.chain}: ${v.entries} entries verified${archived}${cp}` : `✗ ${v.chain}: broken at seq ${v.firstBadSeq} (${v.reason}) after ${v.entries} entries read${cp}`
}

const describeExportVerdict = (v: ExportVerdict): string[] => {
  if (!v.ok) return [`✗ ${v.chain ?? 'export'}: broken at seq ${v.firstBadSeq ?? '?'} (${v.reason ?? 'unknown'})${v.message ? `: ${v.message}` : ''}`]
  const lines = [`✓ ${v.chain}: ${v.entries} entries (seq ${v.fromSeq ?? '-'}..${v.toSeq ?? '-'}) recomputed from the anchor`]
  if (v.verifiedThroughSeq !== null) lines.push(`  ${v.checkpointsVerified} signed checkpoint(s) verified (key ${v.keyId ?? '?'}), vouching through seq ${v.verifiedThroughSeq}`)
  if (v.unverifiedTail > 0) lines.push(`  ${v.unverifiedTail} entr${v.unverifiedTail === 1 ? 'y' : 'ies'} after the newest checkpoint are linked but not yet vouched for by a signature`)
  return lines
}

/** A new file for the export, created exclusively (never overwriting, never through a symlink), O_SYNC. */
const openExportFile = (path: string) => {
  const tmp = `${path}.tmp-${randomBytes(6).toString('hex')}`
  const fd = openSync(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_SYNC, 0o600)
  return {
    write: (text: string) => writeSync(fd, text),
    commit: () => {
      closeSync(fd)
      renameSync(tmp, path)
    },
  }
}

const parseChain = (opts: { workspace?: string; chain?: string }): string => {
  if (opts.workspace !== undefined) {
    if (!uuidPattern.test(opts.workspace)) throw new AppError('BAD_INPUT', `--workspace "${opts.workspace}" is not a workspace id`)
    return `ws:${opts.workspace}`
  }
  if (opts.chain !== undefined) return opts.chain
  throw new AppError('BAD_INPUT', 'say which chain: --workspace <id> or --chain <system|ws:id>')
}

type ExportPage = { lines: string[]; done: boolean; next?: Record<string, unknown> }

/**
 * `bulwark audit verify | export | verify-export | hash | checkpoint | archive`. Against a running
 * instance the verbs go through its admin socket (where the signer's checkpoints are reachable);
 * otherwise verify and export read the database directly and say that no checkpoint was checked.
 */
export const registerAuditCommands = (audit: Command, context: CliContext) => {
  const { loadConfig, withData, out } = context

  audit
    .command('verify')
    .description('recompute every audit chain, hold it against the signed checkpoints, report the first bad entry (exit 2 when one is found)')
    .option('--chain <chain>', 'verify one chain only (`system` or `ws:<workspace id>`)')
    .option('--archives', 'also read and recompute every archive file')
    .option('--json', 'print the verdicts as JSON')
    .action(async (opts: { chain?: string; archives?: boolean; json?: boolean }) => {
      const config = loadConfig()
      const verdicts = await withData(
        config,
        (socket) => callAdmin(socket, 'audit-verify', { ...(opts.chain ? { chain: opts.chain } : {}), ...(opts.archives ? { checkArchives: true } : {}) }) as Promise<ChainVerdict[]>,
        async (database) => {
          const direct = await verifyAllChains(database.db, opts.chain, opts.archives ? { checkArchiveFile: archiveFileCheck(archiveDirOf(config)) } : {})
          return direct.map((v) => ({ ...v, checkpointsUnavailable: 'the platform is not running, so the signer was not asked' }))
        },
      )
      if (opts.json) out(JSON.stringify(verdicts))
      else if (verdicts.length === 0) out('no audit chains yet')
      else for (const v of verdicts) out(describeVerdict(v))
      process.exitCode = verdicts.every((v) => v.ok) ? 0 : 2
    })

  audit
    .command('export')
    .description('write a time range of one chain as JSONL (with the checkpoints to verify it offline) or CSV')
    .option('--workspace <id>', "the workspace's chain")
    .option('--chain <chain>', 'a chain by name (`system` or `ws:<workspace id>`)')
    .option('--from <time>', 'first instant (ISO 8601), inclusive')
    .option('--to <time>', 'last instant (ISO 8601), exclusive')
    .addOption(new Option('--format <format>', 'jsonl or csv').choices(['jsonl', 'csv']).default('jsonl'))
    .requiredOption('--out <file>', 'the file to create (never overwritten)')
    .action(async (opts: { workspace?: string; chain?: string; from?: string; to?: string; format: 'jsonl' | 'csv'; out: string }) => {
      const config = loadConfig()
      const chain = parseChain(opts)
      const request = { chain, format: opts.format, ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}) }
      const file = openExportFile(resolve(opts.out))
      let entries = 0
      const pump = async (page: (body: Record<string, unknown>) => Promise<ExportPage>) => {
        let body: Record<string, unknown> = request
        for (;;) {
          const p = await page(body)
          for (const line of p.lines) file.write(line)
          entries += p.lines.length
          if (p.done || !p.next) return
          body = { ...request, ...p.next }
        }
      }
      const note = await withData(
        config,
        async (socket) => {
          await pump((b) => callAdmin(socket, 'audit-export', b) as Promise<ExportPage>)
          return undefined
        },
        async (database) => {
          // Without the running platform there is no signer to ask: the export carries no checkpoints.
          const handlers = auditAdminHandlers({ db: database.db, audit: createAuditChain({ db: database.db, clock: systemClock }), archiveDir: archiveDirOf(config) })
          const exportPage = handlers['audit-export']
          if (!exportPage) throw new AppError('INTERNAL', 'audit-export handler missing')
          await pump((b) => exportPage(b) as Promise<ExportPage>)
          return 'the platform is not running: the export carries no signed checkpoints (only its links can be verified)'
        },
      )
      file.commit()
      out(`wrote ${opts.out} (${entries} line(s), ${opts.format})`)
      if (note) out(`note: ${note}`)
    })

  audit
    .command('verify-export')
    .description('verify an export or archive file offline: hashes from the anchor, checkpoint signatures (exit 2 when it does not verify)')
    .argument('<file>', 'a JSONL export (or a .jsonl.gz archive file)')
    .option('--public-key <pem-file>', 'pin the checkpoint key (from `bulwark vault audit-key`) instead of trusting the one in the file')
    .option('--json', 'print the verdict as JSON')
    .action(async (file: string, opts: { publicKey?: string; json?: boolean }) => {
      const verdict = await verifyExportFile(resolve(file), opts.publicKey ? { pinnedPublicKey: readFileSync(resolve(opts.publicKey), 'utf8') } : {})
      if (opts.json) out(JSON.stringify(verdict))
      else for (const line of describeExportVerdict(verdict)) out(line)
      process.exitCode = verdict.ok ? 0 : 2
    })

  audit
    .command('hash')
    .description('HMAC a known value under the audit key, to compare with an identifier in the audit log (R37); needs the running platform')
    .argument('<value>', 'the value (e.g. an API key id) to hash')
    .action(async (value: string) => {
      const config = loadConfig()
      const result = (await withData(
        config,
        (socket) => callAdmin(socket, 'audit-hash', { value }),
        () => Promise.reject(new AppError('UNAVAILABLE', 'start Bulwark first: the audit key is read by the running platform')),
      )) as { hash: string }
      out(result.hash)
    })

  audit
    .command('checkpoint')
    .description('have the signer sign the head of every chain that moved, now')
    .action(async () => {
      const config = loadConfig()
      const result = (await withData(
        config,
        (socket) => callAdmin(socket, 'audit-checkpoint'),
        () => Promise.reject(new AppError('UNAVAILABLE', 'start Bulwark first: checkpoints are signed by its signer')),
      )) as { signed: number; failed: number }
      out(`signed ${result.signed} checkpoint(s)${result.failed > 0 ? `, ${result.failed} failed (see alerts)` : ''}`)
      if (result.failed > 0) process.exitCode = 1
    })

  audit
    .command('archive')
    .description('move audit segments past their workspace retention into compressed archive files, now')
    .action(async () => {
      const config = loadConfig()
      const result = (await withData(
        config,
        (socket) => callAdmin(socket, 'audit-archive'),
        () => Promise.reject(new AppError('UNAVAILABLE', 'start Bulwark first: archiving needs the signed checkpoints')),
      )) as { segments: Array<{ chain: string; fromSeq: number; toSeq: number; file: string }> }
      if (result.segments.length === 0) out('nothing to archive')
      for (const s of result.segments) out(`archived ${s.chain} seq ${s.fromSeq}..${s.toSeq} → ${s.file}`)
    })
}

import { createPublicKey, verify, type KeyObject } from 'node:crypto'
import { AppError } from '../lib/errors.js'
import type { Clock } from '../lib/clock.js'
import type { Logger } from '../lib/logger.js'
import type { DbOrTx } from '../db/index.js'
import { checkpointMessage, type Checkpoint, type SignedCheckpoint } from '../crypto/checkpoint-format.js'
import type { Alerts } from './alerts.js'
import { listChains } from './audit-store.js'

export type { Checkpoint, SignedCheckpoint }

export type CheckpointQuery = { chain?: string; afterSeq?: number; limit: number }
export type CheckpointList = { publicKey: string; keyId: string; checkpoints: SignedCheckpoint[] }

/**
 * What monitoring needs from the signer (it may not import the signer client, DESIGN.md): sign a chain
 * head, and list signed heads with the public key that verifies them. The api root builds it from the
 * signer client with `checkpointSignerOver`.
 */
export type CheckpointSigner = {
  sign: (cp: Checkpoint) => Promise<SignedCheckpoint>
  list: (q: CheckpointQuery) => Promise<CheckpointList>
}

// The signer client validates the signer's answers (signer/checkpoint-client.ts: createCheckpointSigner).

/** Signatures arrive as base64/base64url (or hex); Ed25519 signatures are 64 bytes either way. */
const signatureBytes = (s: string): Buffer => (/^[0-9a-f]{128}$/i.test(s) ? Buffer.from(s, 'hex') : Buffer.from(s, 'base64'))

export const publicKeyOf = (pem: string): KeyObject => {
  try {
    const key = createPublicKey(pem)
    if (key.asymmetricKeyType !== 'ed25519') throw new Error(`not an Ed25519 key (${key.asymmetricKeyType ?? 'unknown'})`)
    return key
  } catch (err) {
    throw new AppError('BAD_INPUT', 'the checkpoint public key is not an Ed25519 public key in PEM', { cause: err })
  }
}

/** Whether the signer's Ed25519 signature covers exactly this checkpoint (node:crypto, no I/O). */
export const checkpointSignatureValid = (cp: SignedCheckpoint, publicKey: KeyObject): boolean => {
  try {
    return verify(null, checkpointMessage(cp), publicKey, signatureBytes(cp.signature))
  } catch {
    return false
  }
}

/** Every signed checkpoint of one chain, with the key that verifies them. */
export type ChainCheckpoints = { publicKey: string; keyId: string; checkpoints: SignedCheckpoint[] }
export type CheckpointSource = { forChain: (chain: string) => Promise<ChainCheckpoints> }

const PAGE = 1_000

/**
 * Reads checkpoints from the signer, pinning its public key at the first answer: a later answer under
 * another key is refused (a substituted signer must not vouch for a rewritten chain). Pass `pinned` to
 * pin a key known out of band (`bulwark vault audit-key`).
 */
export const createCheckpointSource = (signer: Pick<CheckpointSigner, 'list'>, pinned?: { publicKey: string }): CheckpointSource => {
  let pin: string | undefined = pinned ? publicKeyOf(pinned.publicKey).export({ type: 'spki', format: 'pem' }).toString() : undefined
  const checkPin = (publicKey: string) => {
    const normalized = publicKeyOf(publicKey).export({ type: 'spki', format: 'pem' }).toString()
    pin ??= normalized
    if (pin !== normalized) throw new AppError('INTEGRITY_FAILED', 'the signer answered with a different audit checkpoint key than the one pinned')
  }
  const forChain = async (chain: string): Promise<ChainCheckpoints> => {
    const checkpoints: SignedCheckpoint[] = []
    let afterSeq: number | undefined
    let key: { publicKey: string; keyId: string } | undefined
    for (;;) {
      const page = await signer.list({ chain, ...(afterSeq === undefined ? {} : { afterSeq }), limit: PAGE })
      checkPin(page.publicKey)
      key ??= { publicKey: page.publicKey, keyId: page.keyId }
      const mine = page.checkpoints.filter((c) => c.chain === chain && (afterSeq === undefined || c.seq > afterSeq))
      checkpoints.push(...mine)
      if (page.checkpoints.length < PAGE || mine.length === 0) break
      afterSeq = Math.max(...mine.map((c) => c.seq))
    }
    checkpoints.sort((a, b) => a.seq - b.seq)
    return { publicKey: key?.publicKey ?? pin ?? '', keyId: key?.keyId ?? '', checkpoints }
  }
  return { forChain }
}

export type AuditCheckpointerDeps = {
  db: DbOrTx
  clock: Clock
  signer: Pick<CheckpointSigner, 'sign'>
  alerts: Pick<Alerts, 'raise'>
  logger: Pick<Logger, 'warn' | 'info'>
  /** AUDIT_CHECKPOINT_INTERVAL_MS (hourly by default). */
  intervalMs?: number
}

/**
 * Signs the head of every chain that moved since its last checkpoint (R38). The last signed seq per
 * chain is remembered in memory; after a restart every chain is signed once more, which the signer
 * answers idempotently for an unchanged head. A failure raises `audit_checkpoint_failed` and the chain
 * is tried again next round.
 */
export const createAuditCheckpointer = ({ db, clock, signer, alerts, logger, intervalMs = 3_600_000 }: AuditCheckpointerDeps) => {
  const lastSigned = new Map<string, number>()
  let round: Promise<{ signed: number; failed: number }> | undefined
  let timer: NodeJS.Timeout | undefined

  const runRound = async () => {
    let signed = 0
    let failed = 0
    for (const head of await listChains(db)) {
      if (head.seq === 0 || lastSigned.get(head.chain) === head.seq) continue
      try {
        await signer.sign({ chain: head.chain, seq: head.seq, head: head.hash, time: clock.now().toISOString() })
        lastSigned.set(head.chain, head.seq)
        signed++
      } catch (err) {
        failed++
        const reason = err instanceof AppError ? err.code : 'UNAVAILABLE'
        logger.warn({ err, chain: head.chain, seq: head.seq }, 'audit checkpoint failed')
        await alerts
          .raise({ workspaceId: null, rule: 'audit_checkpoint_failed', severity: 'warning', details: { chain: head.chain, seq: head.seq, reason }, dedupKey: head.chain })
          .catch((alertErr: unknown) => logger.warn({ err: alertErr }, 'could not raise audit_checkpoint_failed'))
      }
    }
    return { signed, failed }
  }

  /** One round now (on demand, on schedule, at shutdown); rounds run one after another, never overlapping. */
  const checkpointAll = (): Promise<{ signed: number; failed: number }> => {
    const next = (round ?? Promise.resolve()).catch(() => {}).then(runRound)
    round = next
    return next
  }

  const start = () => {
    timer ??= setInterval(() => void checkpointAll().catch((err: unknown) => logger.warn({ err }, 'audit checkpoint round failed')), intervalMs)
    timer.unref()
  }

  /** Stops the schedule and signs the heads one last time (shutdown). */
  const stop = async () => {
    if (timer) clearInterval(timer)
    timer = undefined
    await checkpointAll().catch((err: unknown) => logger.warn({ err }, 'final audit checkpoint round failed'))
  }

  return { checkpointAll, start, stop }
}

export type AuditCheckpointer = ReturnType<typeof createAuditCheckpointer>

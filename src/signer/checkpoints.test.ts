import { createHash, createPublicKey, verify } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { backends } from '../../test/support/databases.js'
import { startSignerHarness, type SignerHarness } from '../../test/support/signer-harness.js'
import { checkpointMessage, type SignedCheckpoint } from '../crypto/checkpoint-format.js'
import { createManualClock } from '../lib/clock.js'
import { loadAuditSigningKey } from './audit-signing-key.js'
import { createCheckpointSigner } from './checkpoint-client.js'

const head = (n: number) => createHash('sha256').update(`entry ${n}`).digest('hex')

/** What an offline auditor does: check the signature with the pinned public key over the rebuilt bytes. */
const verifies = (publicKeyPem: string, cp: SignedCheckpoint) =>
  verify(null, checkpointMessage({ chain: cp.chain, seq: cp.seq, head: cp.head, time: cp.time }), createPublicKey(publicKeyPem), Buffer.from(cp.signature, 'base64'))

/**
 * R38 on the signer's side: checkpoints signed with its Ed25519 audit key, through the api's socket
 * (real signer service and RPC server, its own vault database), kept where the api cannot rewrite them.
 */
describe.each(backends)('audit checkpoints in the signer (%s)', (kind) => {
  let signer: SignerHarness
  let checkpoints: ReturnType<typeof createCheckpointSigner>
  const clock = createManualClock('2030-01-01T00:00:00.000Z')
  const chain = 'ws:0190f5b2-7c3e-7000-8000-000000000001'

  beforeAll(async () => {
    signer = await startSignerHarness(kind, { clock, emulator: { accounts: [] } })
    checkpoints = createCheckpointSigner(signer.client)
  })
  afterAll(async () => {
    await signer.close()
  })

  const auditTypes = () => readFileSync(signer.auditLogPath, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { type: string }).type)

  it('signs a chain head with Ed25519 over checkpointMessage; the public key and its id verify it', async () => {
    const signed = await checkpoints.sign({ chain, seq: 10, head: head(10), time: '2030-01-01T00:00:00.000Z' })
    const { publicKey, keyId } = await checkpoints.publicKey()
    expect(signed).toMatchObject({ chain, seq: 10, head: head(10), time: '2030-01-01T00:00:00.000Z', signedAt: '2030-01-01T00:00:00.000Z', keyId })
    expect(keyId).toBe(createHash('sha256').update(createPublicKey(publicKey).export({ format: 'der', type: 'spki' })).digest('hex').slice(0, 16))
    expect(verifies(publicKey, signed)).toBe(true)
    // Any other bytes fail: another head, seq or time under the same signature.
    expect(verifies(publicKey, { ...signed, head: head(11) })).toBe(false)
    expect(verifies(publicKey, { ...signed, seq: 11 })).toBe(false)
    expect(verifies(publicKey, { ...signed, time: '2030-01-01T00:00:00Z' })).toBe(false)
    expect(auditTypes()).toContain('audit_checkpoint_signed')
  })

  it('is idempotent for the same seq and head, and moves forward', async () => {
    clock.advance(60_000)
    const again = await checkpoints.sign({ chain, seq: 10, head: head(10), time: '2030-01-01T00:01:00.000Z' })
    expect(again).toMatchObject({ seq: 10, time: '2030-01-01T00:00:00.000Z', signedAt: '2030-01-01T00:00:00.000Z' }) // the stored one, not a new signature
    const next = await checkpoints.sign({ chain, seq: 25, head: head(25), time: '2030-01-01T00:01:00.000Z' })
    expect(next).toMatchObject({ seq: 25, signedAt: '2030-01-01T00:01:00.000Z' })
    // A chain that did not move gets the same checkpoint again at the same seq.
    expect((await checkpoints.sign({ chain, seq: 25, head: head(25), time: '2030-01-01T00:02:00.000Z' })).signature).toBe(next.signature)
  })

  it('refuses to rewrite history: another head at a signed seq, or a seq behind the newest — logged by the signer first', async () => {
    const before = await checkpoints.list({ chain })
    await expect(checkpoints.sign({ chain, seq: 25, head: head(99), time: '2030-01-01T00:03:00.000Z' })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'CHECKPOINT_CONFLICT' })
    await expect(checkpoints.sign({ chain, seq: 20, head: head(20), time: '2030-01-01T00:03:00.000Z' })).rejects.toMatchObject({ code: 'CONFLICT', reason: 'CHECKPOINT_CONFLICT' })
    // A seq below the newest that matches a stored checkpoint is a retry, not a rewrite.
    expect((await checkpoints.sign({ chain, seq: 10, head: head(10), time: '2030-01-01T00:03:00.000Z' })).seq).toBe(10)
    expect(await checkpoints.list({ chain })).toEqual(before)
    const conflicts = readFileSync(signer.auditLogPath, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; details: Record<string, unknown> })
      .filter((e) => e.type === 'audit_checkpoint_conflict')
    expect(conflicts.map((c) => [c.details.seq, c.details.storedSeq, c.details.reason])).toEqual([
      [25, 25, 'head_mismatch'],
      [20, 25, 'seq_behind'],
    ])
  })

  it('lists checkpoints ascending by chain and seq, filtered by chain, afterSeq and limit', async () => {
    await checkpoints.sign({ chain: 'system', seq: 0, head: head(0), time: '2030-01-01T00:04:00.000Z' })
    const all = await checkpoints.list()
    expect(all.checkpoints.map((c) => [c.chain, c.seq])).toEqual([
      ['system', 0],
      [chain, 10],
      [chain, 25],
    ].sort((a, b) => String(a[0]).localeCompare(String(b[0])) || Number(a[1]) - Number(b[1])))
    expect((await checkpoints.list({ chain, afterSeq: 10 })).checkpoints.map((c) => c.seq)).toEqual([25])
    expect((await checkpoints.list({ chain, limit: 1 })).checkpoints.map((c) => c.seq)).toEqual([10])
    expect(all.checkpoints.every((c) => verifies(all.publicKey, c))).toBe(true)
  })

  it('refuses malformed checkpoints and queries (BAD_INPUT), with nothing stored', async () => {
    const bad = [
      { chain, seq: 30, head: head(30).toUpperCase(), time: '2030-01-01T00:00:00.000Z' },
      { chain, seq: -1, head: head(30), time: '2030-01-01T00:00:00.000Z' },
      { chain, seq: 1.5, head: head(30), time: '2030-01-01T00:00:00.000Z' },
      { chain: 'x'.repeat(81), seq: 30, head: head(30), time: '2030-01-01T00:00:00.000Z' },
      { chain: 'has space', seq: 30, head: head(30), time: '2030-01-01T00:00:00.000Z' },
      { chain, seq: 30, head: head(30), time: 'yesterday' },
    ]
    for (const cp of bad) await expect(checkpoints.sign(cp)).rejects.toMatchObject({ code: 'BAD_INPUT' })
    await expect(checkpoints.list({ limit: 1001 })).rejects.toMatchObject({ code: 'BAD_INPUT' })
    expect((await checkpoints.list({ chain })).checkpoints.map((c) => c.seq)).toEqual([10, 25])
  })
})

describe('the audit signing key file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-audit-key-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('is made once as a 0600 seed file and loads to the same key after a restart; the file holds no PEM', () => {
    const path = join(dir, 'audit-signing.key')
    const first = loadAuditSigningKey(path)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const second = loadAuditSigningKey(path)
    expect(second.keyId).toBe(first.keyId)
    expect(second.publicKeyPem).toBe(first.publicKeyPem)
    expect(readFileSync(path, 'utf8')).not.toContain('PRIVATE KEY')
    expect(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')).toHaveLength(32)
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { verifyRegistrationResponse } from '@simplewebauthn/server'
import { startBinanceEmulator, type BinanceEmulator, type BinanceEmulatorOptions } from '../emulator/binance-emulator.js'
import { openTestDatabase, type TestDatabase } from './databases.js'
import type { SoftAuthenticator } from './soft-authenticator.js'
import type { DatabaseKind } from '../../src/db/index.js'
import type { Clock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/logger.js'
import { encodeCredentialFields, generateRecipientKeyPair, sealTo } from '../../src/crypto/sealing.js'
import { createDatabaseShareStore, createDirectoryShareStore, createKeyHierarchy, createVault, loadOrCreateKeyFile } from '../../src/vault/index.js'
import { createSignerAuditLog } from '../../src/signer/audit-log.js'
import { createSignerClient, type SignerClient } from '../../src/signer/client.js'
import { createExecutor } from '../../src/signer/executor.js'
import { createSignerHandlers } from '../../src/signer/handlers.js'
import { createRateBudget } from '../../src/signer/rate-budget.js'
import { startRpcServer } from '../../src/signer/rpc-server.js'
import { createSignerService, type Ctx } from '../../src/signer/signer-service.js'
import type { SignerAuditEvent } from '../../src/signer/signer-types.js'

export type SignerHarnessOptions = {
  clock: Clock
  emulator: BinanceEmulatorOptions
  /** The origin passkey assertions must name (its hostname is the RP ID); the signer's default when unset. */
  origin?: string
  /** The signer's waiting period for widenings without a passkey (its default, 24 h, when unset). */
  wideningDelayMs?: number
}

/**
 * The real signer (vault on its own database, three share stores, real ccxt against the Binance
 * emulator) serving its api socket in this process, and the api's own client for it: for api-level
 * tests that need real key custody without spawning processes, and for the signer's own tests (`service`
 * is the operator's direct authority; `auditLogPath` its audit log).
 */
export const startSignerHarness = async (kind: DatabaseKind, opts: SignerHarnessOptions) => {
  const database: TestDatabase = await openTestDatabase(kind, 'vault')
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-signer-harness-'))
  const emulator: BinanceEmulator = await startBinanceEmulator(opts.emulator)
  const recipient = await generateRecipientKeyPair()
  const auditLogPath = join(dir, 'audit.log')
  const vault = createVault({
    db: database.db,
    stores: [createDatabaseShareStore('store-1', database.db), createDirectoryShareStore('store-2', join(dir, 's2')), createDirectoryShareStore('store-3', join(dir, 's3'))],
    keys: createKeyHierarchy(join(dir, 'master.key')),
    fingerprintKey: loadOrCreateKeyFile(join(dir, 'fp.key')),
    clock: opts.clock,
    threshold: 2,
    onEvent: () => {},
  })
  const service = createSignerService({
    vault,
    db: database.db,
    executor: createExecutor({ endpoints: { binance: emulator.url }, budget: createRateBudget(), onRefusal: () => {} }),
    audit: createSignerAuditLog(auditLogPath),
    recipient,
    clock: opts.clock,
    widening: { delayMs: opts.wideningDelayMs, origin: opts.origin },
  })
  const handlers = createSignerHandlers({ service, vault, requestEvents: new AsyncLocalStorage<SignerAuditEvent[]>() })
  const socketPath = join(dir, 'api.sock')
  const server = await startRpcServer(socketPath, handlers.api, createLogger({ level: 'silent', name: 'signer-harness' }))
  const client: SignerClient = createSignerClient({ socketPath })

  /** What the browser does: seal the credentials to the signer's public key for one workspace. */
  const seal = (workspaceId: string, credentials: { apiKey: string; secret: string }, exchange = 'binance', over: { nonce?: string; expiresAt?: string } = {}) =>
    sealTo(recipient.publicKey, encodeCredentialFields(credentials), {
      workspaceId,
      exchange,
      nonce: over.nonce ?? randomBytes(18).toString('base64url'),
      expiresAt: over.expiresAt ?? new Date(opts.clock.now().getTime() + 120_000).toISOString(),
      purpose: 'exchange-credentials',
    })

  return {
    client,
    emulator,
    service,
    auditLogPath,
    seal,
    close: async () => {
      client.close()
      await server.close()
      await emulator.close()
      await database.dispose()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
export type SignerHarness = Awaited<ReturnType<typeof startSignerHarness>>

/** A request context for calling the service directly, with the authority of the signer's own sockets. */
export const directCtx = (workspaceId: string): Ctx => ({ workspaceId, requestId: `direct-${randomBytes(4).toString('hex')}`, events: [] })

/** A passkey registration the way the api does it (user verification required), giving what it relays to the signer. */
export const registerPasskey = async (authenticator: SoftAuthenticator, userId: string, origin: string) => {
  const rpId = new URL(origin).hostname
  const challenge = randomBytes(32).toString('base64url')
  const response = authenticator.register({
    challenge,
    rp: { id: rpId, name: 'Bulwark' },
    user: { id: randomBytes(16).toString('base64url'), name: 'trader@example.com', displayName: 'Trader' },
    pubKeyCredParams: [{ alg: -7, type: 'public-key' }],
  })
  const verified = await verifyRegistrationResponse({ response, expectedChallenge: challenge, expectedOrigin: origin, expectedRPID: rpId, requireUserVerification: true })
  if (!verified.verified) throw new Error('registration did not verify')
  const c = verified.registrationInfo.credential
  return { userId, authenticatorId: c.id, publicKey: Buffer.from(c.publicKey).toString('base64url'), counter: c.counter }
}

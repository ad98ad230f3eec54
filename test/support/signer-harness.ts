import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { startBinanceEmulator, type BinanceEmulator, type BinanceEmulatorOptions } from '../emulator/binance-emulator.js'
import { openTestDatabase, type TestDatabase } from './databases.js'
import type { DatabaseKind } from '../../src/db/index.js'
import type { ManualClock } from '../../src/lib/clock.js'
import { createLogger } from '../../src/lib/logger.js'
import { encodeCredentialFields, generateRecipientKeyPair, sealTo } from '../../src/crypto/sealing.js'
import { createDatabaseShareStore, createDirectoryShareStore, createKeyHierarchy, createVault, loadOrCreateKeyFile } from '../../src/vault/index.js'
import { createSignerAuditLog } from '../../src/signer/audit-log.js'
import { createSignerClient, type SignerClient } from '../../src/signer/client.js'
import { createExecutor } from '../../src/signer/executor.js'
import { createSignerHandlers } from '../../src/signer/handlers.js'
import { createRateBudget } from '../../src/signer/rate-budget.js'
import { startRpcServer } from '../../src/signer/rpc-server.js'
import { createSignerService } from '../../src/signer/signer-service.js'
import type { SignerAuditEvent } from '../../src/signer/signer-types.js'

/**
 * The real signer (vault on its own database, three share stores, real ccxt against the Binance
 * emulator) serving its api socket in this process, and the api's own client for it: for api-level
 * tests that need real key custody without spawning processes.
 */
export const startSignerHarness = async (kind: DatabaseKind, opts: { clock: ManualClock; origin: string; emulator: BinanceEmulatorOptions; wideningDelayMs?: number }) => {
  const database: TestDatabase = await openTestDatabase(kind, 'vault')
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-signer-harness-'))
  const emulator: BinanceEmulator = await startBinanceEmulator(opts.emulator)
  const recipient = await generateRecipientKeyPair()
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
    audit: createSignerAuditLog(join(dir, 'audit.log')),
    recipient: { keyPair: recipient.keyPair, publicKey: recipient.publicKey },
    clock: opts.clock,
    widening: { delayMs: opts.wideningDelayMs ?? 86_400_000, origin: opts.origin, rpId: new URL(opts.origin).hostname },
  })
  const handlers = createSignerHandlers({ service, vault, requestEvents: new AsyncLocalStorage<SignerAuditEvent[]>() })
  const socketPath = join(dir, 'api.sock')
  const server = await startRpcServer(socketPath, handlers.api, createLogger({ level: 'silent', name: 'signer-harness' }))
  const client: SignerClient = createSignerClient({ socketPath })

  /** What the browser does: seal the credentials to the signer's public key for one workspace. */
  const seal = (workspaceId: string, credentials: { apiKey: string; secret: string }, exchange = 'binance') =>
    sealTo(recipient.publicKey, encodeCredentialFields(credentials), {
      workspaceId,
      exchange,
      nonce: randomBytes(18).toString('base64url'),
      expiresAt: new Date(opts.clock.now().getTime() + 120_000).toISOString(),
      purpose: 'exchange-credentials',
    })

  return {
    client,
    emulator,
    service,
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

import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { startBinanceEmulator, type BinanceEmulatorOptions } from '../test/emulator/binance-emulator.js'
import { encodeCredentialFields, generateRecipientKeyPair, sealTo } from '../src/crypto/sealing.js'
import type { Clock } from '../src/lib/clock.js'
import { createLogger } from '../src/lib/logger.js'
import { createSignerAuditLog } from '../src/signer/audit-log.js'
import { createSignerClient } from '../src/signer/client.js'
import { createExecutor } from '../src/signer/executor.js'
import { createSignerHandlers } from '../src/signer/handlers.js'
import { createRateBudget } from '../src/signer/rate-budget.js'
import { startRpcServer } from '../src/signer/rpc-server.js'
import { createSignerService, type Ctx } from '../src/signer/signer-service.js'
import type { SignerAuditEvent } from '../src/signer/signer-types.js'
import { createDatabaseShareStore, createDirectoryShareStore, createKeyHierarchy, createVault, loadOrCreateKeyFile } from '../src/vault/index.js'
import { openDumped } from './bots-env.js'

/**
 * The real signer in this process (vault on its own PGlite, three share stores, real ccxt) against the
 * Binance emulator, serving its api socket, and the api's client for it — test/support/signer-harness.ts
 * without vitest (its databases come from vitest's global setup) and with the rate budget as a parameter:
 * `budgetFactor` multiplies the signer's shared per-IP request budget (ccxt's own rate model, at 80 %);
 * 1 is production, a large factor takes it out of the way.
 */
export const startBenchSigner = async (opts: { clock: Clock; vaultDump: string; dir: string; emulator: BinanceEmulatorOptions; budgetFactor: number }) => {
  const database = await openDumped(opts.vaultDump, opts.dir, 'vault')
  const emulator = await startBinanceEmulator(opts.emulator)
  const recipient = await generateRecipientKeyPair()
  const vault = createVault({
    db: database.db,
    stores: [createDatabaseShareStore('store-1', database.db), createDirectoryShareStore('store-2', join(opts.dir, 's2')), createDirectoryShareStore('store-3', join(opts.dir, 's3'))],
    keys: createKeyHierarchy(join(opts.dir, 'master.key')),
    fingerprintKey: loadOrCreateKeyFile(join(opts.dir, 'fp.key')),
    clock: opts.clock,
    threshold: 2,
    onEvent: () => {},
  })
  const service = createSignerService({
    vault,
    db: database.db,
    executor: createExecutor({ endpoints: { binance: emulator.url }, budget: createRateBudget({ factor: opts.budgetFactor }), onRefusal: () => {} }),
    audit: createSignerAuditLog(join(opts.dir, 'signer-audit.log')),
    recipient,
    clock: opts.clock,
  })
  const handlers = createSignerHandlers({ service, vault, requestEvents: new AsyncLocalStorage<SignerAuditEvent[]>() })
  const server = await startRpcServer(join(opts.dir, 'api.sock'), handlers.api, createLogger({ level: 'silent', name: 'bench-signer' }))
  const client = createSignerClient({ socketPath: join(opts.dir, 'api.sock') })

  /** What the browser does: seal the credentials to the signer's public key for one workspace. */
  const seal = (workspaceId: string, credentials: { apiKey: string; secret: string }) =>
    sealTo(recipient.publicKey, encodeCredentialFields(credentials), {
      workspaceId,
      exchange: 'binance',
      nonce: randomBytes(18).toString('base64url'),
      expiresAt: new Date(opts.clock.now().getTime() + 120_000).toISOString(),
      purpose: 'exchange-credentials',
    })

  /** The operator's direct authority (the signer's own socket), e.g. to set a key's limits. */
  const operatorCtx = (workspaceId: string): Ctx => ({ workspaceId, requestId: `bench-${randomBytes(4).toString('hex')}`, events: [] })

  return {
    client,
    emulator,
    service,
    seal,
    operatorCtx,
    close: async () => {
      client.close()
      await server.close()
      await emulator.close()
      await database.close()
    },
  }
}
export type BenchSigner = Awaited<ReturnType<typeof startBenchSigner>>

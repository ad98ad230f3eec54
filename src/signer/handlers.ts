import type { AsyncLocalStorage } from 'node:async_hooks'
import { AppError } from '../lib/errors.js'
import type { Vault } from '../vault/index.js'
import type { VaultBackup } from './vault-backup.js'
import type { Handler } from './rpc-server.js'
import type { Ctx, SignerService } from './signer-service.js'
import { operatorOps, signerOps, type SignerAuditEvent } from './signer-types.js'

export type SignerHandlersDeps = {
  service: SignerService
  /** The vault's backups (vault-backup.ts): operator socket only. A signer composed without one has no such operations. */
  backup?: Pick<VaultBackup, 'backupVault' | 'recoveryKit'>
  vault: Pick<Vault, 'rotateMaster' | 'verifyAll' | 'storeHealth' | 'fingerprintOf'>
  /** Events raised while a request runs (vault events) are pushed to that request's list. */
  requestEvents: AsyncLocalStorage<SignerAuditEvent[]>
}

/**
 * The two handler tables. The api's socket (and the mutual-TLS listener) gets `api` only: nothing in it
 * widens a key at once — widening goes through proposeWidening and waits for a passkey confirmation the
 * signer verifies, or for the delay. The operator's socket (operator token) also gets direct authority.
 */
export const createSignerHandlers = ({ service, vault, backup, requestEvents }: SignerHandlersDeps) => {
  /** Wraps an operation: validates params, requires the workspace where it matters, attaches vault events. */
  const op =
    <P>(schema: { parse: (v: unknown) => P }, fn: (ctx: Ctx, p: P) => Promise<unknown>, needsWorkspace = true): Handler =>
    async ({ workspaceId, requestId, params, events }) => {
      if (needsWorkspace && !workspaceId) throw new AppError('BAD_INPUT', 'this signer operation needs the acting workspace')
      const ctx: Ctx = { workspaceId: workspaceId ?? '', requestId, events }
      return requestEvents.run(events, () => fn(ctx, schema.parse(params)))
    }

  const api: Record<string, Handler> = {
    publicKey: op(signerOps.publicKey, async () => service.publicKey(), false),
    connect: op(signerOps.connect, service.connect),
    execute: op(signerOps.execute, service.execute),
    disable: op(signerOps.disable, service.disable),
    disableWorkspaceKeys: op(signerOps.disableWorkspaceKeys, service.disableWorkspaceKeys),
    reverify: op(signerOps.reverify, service.reverify),
    generateKeyPair: op(signerOps.generateKeyPair, service.generateKeyPair),
    completeKeyPair: op(signerOps.completeKeyPair, service.completeKeyPair),
    destroy: op(signerOps.destroy, service.destroy),
    // Four-eyes (R42): the api approves or discards a key it connected as `pending_approval`.
    approvePending: op(signerOps.approvePending, service.approvePending),
    discardPending: op(signerOps.discardPending, service.discardPending),
    setLimits: op(signerOps.setLimits, (ctx, p) => service.setLimits(ctx, p, false)),
    listKeys: op(signerOps.listKeys, (ctx) => service.listKeys(ctx)),
    status: op(signerOps.status, async () => service.status(), false),
    clockSkew: op(signerOps.clockSkew, async () => service.clockSkew(), false),
    trustPasskey: op(signerOps.trustPasskey, (ctx, p) => service.trustPasskey(ctx, p, false)),
    untrustPasskey: op(signerOps.untrustPasskey, service.untrustPasskey),
    listPasskeys: op(signerOps.listPasskeys, (ctx) => service.listPasskeys(ctx)),
    proposeWidening: op(signerOps.proposeWidening, service.proposeWidening),
    confirmWidening: op(signerOps.confirmWidening, service.confirmWidening),
    cancelWidening: op(signerOps.cancelWidening, service.cancelWidening),
    listPendingWidenings: op(signerOps.listPendingWidenings, (ctx) => service.listPendingWidenings(ctx)),
    signCheckpoint: op(signerOps.signCheckpoint, service.signCheckpoint, false),
    listCheckpoints: op(signerOps.listCheckpoints, (_ctx, p) => service.listCheckpoints(p), false),
    auditPublicKey: op(signerOps.auditPublicKey, async () => service.auditPublicKey(), false),
  }
  const operator: Record<string, Handler> = {
    ...api,
    setLimits: op(operatorOps.setLimits, (ctx, p) => service.setLimits(ctx, p, true)),
    enable: op(operatorOps.enable, service.enable),
    refresh: op(operatorOps.refresh, service.refresh),
    trustPasskey: op(signerOps.trustPasskey, (ctx, p) => service.trustPasskey(ctx, p, true)),
    approveWidening: op(operatorOps.approveWidening, service.approveWidening),
    rotateMaster: op(operatorOps.rotateMaster, async () => vault.rotateMaster(), false),
    verifyVault: op(operatorOps.verifyVault, async () => ({ keys: await vault.verifyAll(), stores: await vault.storeHealth() }), false),
    seal: op(operatorOps.seal, service.seal, false),
    unseal: op(operatorOps.unseal, (ctx) => service.unseal(ctx), false),
    sealStatus: op(operatorOps.sealStatus, () => service.sealStatus(), false),
    auditHash: op(
      operatorOps.auditHash,
      async (_ctx, p) => {
        const value = Buffer.from(p.value, 'utf8')
        try {
          return { fingerprint: vault.fingerprintOf(value).slice(0, 16) }
        } finally {
          value.fill(0)
        }
      },
      false,
    ),
    // Each writes its own line to the signer's audit log before it hands anything out (vault-backup.ts).
    ...(backup
      ? {
          backupVault: op(operatorOps.backupVault, (_ctx, p) => backup.backupVault(p), false),
          recoveryKit: op(operatorOps.recoveryKit, (_ctx, p) => backup.recoveryKit(p), false),
        }
      : {}),
  }
  return { api: sealGated(service, api), operator: sealGated(service, operator) }
}

/** Every operation first asks the global seal (seal.ts), on every socket: sealed, only narrowing and audit pass. */
const sealGated = (service: Pick<SignerService, 'assertAllowed'>, table: Record<string, Handler>): Record<string, Handler> =>
  Object.fromEntries(
    Object.entries(table).map(([name, handler]): [string, Handler] => [
      name,
      async (req) => {
        await service.assertAllowed(name)
        return handler(req)
      },
    ]),
  )

import { randomUUID } from 'node:crypto'
import { and, eq } from 'drizzle-orm'
import { z } from 'zod'
import { AppError } from '../lib/errors.js'
import { newId } from '../lib/ids.js'
import { schema, type Db } from '../db/index.js'
import type { Alerts, AuditChain } from '../monitoring/index.js'
import { sealedEnvelope, type SignerAuditEvent, type SignerClient } from '../signer/index.js'

export type KeyAdminDeps = { db: Db; signer: SignerClient; audit: Pick<AuditChain, 'append'>; alerts: Pick<Alerts, 'raise'> }

const workspaceId = z.string().uuid()

/**
 * Relays key operations to the signer and records what it reports in the workspace's audit chain.
 * The api never sees plaintext: `connect` carries an envelope sealed to the signer's public key.
 */
export const createKeyRelay = ({ db, signer, audit, alerts }: KeyAdminDeps) => {
  const record = async (ws: string, requestId: string, events: SignerAuditEvent[]) => {
    for (const e of events) {
      await audit.append({ workspaceId: ws, type: e.type, actor: { type: 'operator_cli' }, outcome: e.outcome, requestId, details: e.details })
      if (e.type === 'signer_refused' || e.type === 'reconstruction_integrity' || e.type === 'ciphertext_context_mismatch') {
        await alerts.raise({ workspaceId: ws, rule: e.type, severity: 'critical', details: e.details, dedupKey: String(e.details.keyId ?? e.type) })
      } else if (e.type === 'vault_store_degraded') {
        await alerts.raise({ workspaceId: ws, rule: e.type, severity: 'warning', details: e.details, dedupKey: String(e.details.keyId ?? e.type) })
      }
    }
  }

  /** Calls the signer for a workspace and audits its events whether the call succeeded or not. */
  const relay = async <T>(ws: string, op: Parameters<SignerClient['call']>[0], params: Record<string, unknown>): Promise<T> => {
    const requestId = randomUUID()
    try {
      const { result, events } = await signer.call(op, ws, params as never, requestId)
      await record(ws, requestId, events)
      return result as T
    } catch (err) {
      const events = ((err as AppError).details as { events?: SignerAuditEvent[] } | undefined)?.events ?? []
      await record(ws, requestId, events)
      throw err
    }
  }

  /** The operator's personal workspace: where CLI-connected keys go unless told otherwise. */
  const operatorWorkspace = async (): Promise<string> => {
    const [row] = await db
      .select({ id: schema.workspaces.id })
      .from(schema.memberships)
      .innerJoin(schema.users, eq(schema.users.id, schema.memberships.userId))
      .innerJoin(schema.workspaces, eq(schema.workspaces.id, schema.memberships.workspaceId))
      .where(and(eq(schema.users.isOperator, true), eq(schema.memberships.role, 'owner'), eq(schema.workspaces.isPersonal, true)))
      .limit(1)
    if (!row) throw new AppError('NOT_FOUND', 'there is no operator yet: run `bulwark init` first')
    return row.id
  }

  return {
    operatorWorkspace,
    connect: (ws: string, exchange: string, envelope: unknown) =>
      relay(ws, 'connect', { exchange, exchangeAccountId: newId(), envelope: sealedEnvelope.parse(envelope) }),
    execute: (ws: string, keyId: string, method: string, args: Record<string, unknown>) => relay(ws, 'execute', { keyId, method, args }),
    list: (ws: string) => relay(ws, 'listKeys', {}),
    disable: (ws: string, keyId: string, reason: string) => relay(ws, 'disable', { keyId, reason }),
    destroy: (ws: string, keyId: string) => relay(ws, 'destroy', { keyId }),
  }
}
export type KeyRelay = ReturnType<typeof createKeyRelay>

/** Admin-socket verbs for `bulwark keys …` (the CLI seals; the api relays). */
export const keyAdminHandlers = (deps: KeyAdminDeps): Record<string, (body: Record<string, unknown>) => Promise<unknown>> => {
  const keys = createKeyRelay(deps)
  const ws = async (body: Record<string, unknown>) => (body.workspaceId === undefined ? keys.operatorWorkspace() : workspaceId.parse(body.workspaceId))
  return {
    'operator-workspace': async () => ({ workspaceId: await keys.operatorWorkspace() }),
    'keys-connect': async (b) => keys.connect(await ws(b), String(b.exchange ?? ''), b.envelope),
    'keys-execute': async (b) => keys.execute(await ws(b), String(b.keyId ?? ''), String(b.method ?? ''), (b.args ?? {}) as Record<string, unknown>),
    'keys-list': async (b) => keys.list(await ws(b)),
    'keys-disable': async (b) => keys.disable(await ws(b), String(b.keyId ?? ''), String(b.reason ?? 'disabled by the operator')),
    'keys-remove': async (b) => keys.destroy(await ws(b), String(b.keyId ?? '')),
  }
}

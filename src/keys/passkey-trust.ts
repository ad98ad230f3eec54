import { and, eq, inArray } from 'drizzle-orm'
import { schema, type Db } from '../db/index.js'
import type { Logger } from '../lib/logger.js'
import type { KeyRelay } from './key-admin.js'

/**
 * Keeps the signer's list of passkeys in step with the users' passkeys, per workspace where the user
 * may widen keys (owner, admin). The signer trusts a relayed passkey only after its own delay (or a
 * confirmation by a passkey it already trusts), so this relay cannot be abused by a compromised api to
 * widen keys at once. Removal is immediate. A signer that is down does not block the account change:
 * the passkey still works for sign-in, and the failure is logged for the operator.
 */
export const createPasskeyTrustSync = ({ db, relay, logger }: { db: Db; relay: Pick<KeyRelay, 'trustPasskey' | 'untrustPasskey'>; logger: Logger }) => {
  const widenerWorkspaces = async (userId: string) =>
    (
      await db
        .select({ id: schema.memberships.workspaceId })
        .from(schema.memberships)
        .where(and(eq(schema.memberships.userId, userId), inArray(schema.memberships.role, ['owner', 'admin'])))
    ).map((r) => r.id)

  const added = async (userId: string, passkeyId: string) => {
    const [pk] = await db.select().from(schema.passkeys).where(eq(schema.passkeys.id, passkeyId)).limit(1)
    if (!pk) return
    for (const ws of await widenerWorkspaces(userId)) {
      await relay
        .trustPasskey(ws, { userId, authenticatorId: pk.credentialId, publicKey: pk.publicKey, counter: pk.counter }, { type: 'user', id: userId })
        .catch((err: unknown) => logger.warn({ err, workspaceId: ws }, 'the signer could not be told about a new passkey'))
    }
  }

  const removed = async (userId: string, credentialId: string) => {
    for (const ws of await widenerWorkspaces(userId)) {
      await relay
        .untrustPasskey(ws, { authenticatorId: credentialId }, { type: 'user', id: userId })
        .catch((err: unknown) => logger.error({ err, workspaceId: ws }, 'the signer could not be told that a passkey was removed: run `bulwark keys` checks'))
    }
  }

  return { added, removed }
}
export type PasskeyTrustSync = ReturnType<typeof createPasskeyTrustSync>

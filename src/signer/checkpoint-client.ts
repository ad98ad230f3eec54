import type { Checkpoint, SignedCheckpoint } from '../crypto/checkpoint-format.js'
import type { SignerClient } from './client.js'
import { checkpointListView, signedCheckpointView, type CheckpointListView } from './signer-types.js'

export type CheckpointQuery = { chain?: string; afterSeq?: number; limit?: number }

/**
 * The api's typed side of the signer's checkpoint operations (R38), shaped as monitoring's injected
 * checkpoint signer: `sign` asks the signer to sign and keep a chain head; `list` reads what it keeps,
 * with the public key that verifies it. Answers are validated; a refused rewrite rejects with CONFLICT.
 */
export const createCheckpointSigner = (client: Pick<SignerClient, 'call'>) => ({
  sign: async (cp: Checkpoint): Promise<SignedCheckpoint> => signedCheckpointView.parse((await client.call('signCheckpoint', null, { chain: cp.chain, seq: cp.seq, head: cp.head, time: cp.time })).result),
  list: async (q: CheckpointQuery = {}): Promise<CheckpointListView> => checkpointListView.parse((await client.call('listCheckpoints', null, q)).result),
  publicKey: async (): Promise<{ publicKey: string; keyId: string }> => {
    const { publicKey, keyId } = checkpointListView.pick({ publicKey: true, keyId: true }).parse((await client.call('auditPublicKey', null, {})).result)
    return { publicKey, keyId }
  },
})
export type CheckpointSignerClient = ReturnType<typeof createCheckpointSigner>

import { canonicalJson } from './canonical-json.js'

/**
 * An audit checkpoint: the head of one chain at one moment, signed by the signer's Ed25519 audit key and
 * kept in the signer's own store (the api cannot rewrite it). The api's verifier and an offline auditor
 * check the signature over exactly these bytes.
 */
export type Checkpoint = { chain: string; seq: number; head: string; time: string }
export type SignedCheckpoint = Checkpoint & { signedAt: string; signature: string; keyId: string }

/** The bytes the signature covers: canonical JSON of `{v:1, chain, seq, head, time}` (UTF-8). */
export const checkpointMessage = (c: Checkpoint): Buffer => Buffer.from(canonicalJson({ v: 1, chain: c.chain, seq: c.seq, head: c.head, time: c.time }), 'utf8')

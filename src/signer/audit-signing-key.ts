import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { loadOrCreateKeyFile } from '../vault/index.js'

/**
 * The signer's Ed25519 audit key: it signs the api's audit checkpoints (SECURITY.md R38), so the api,
 * which holds the chains, cannot rewrite history that a checkpoint already covers.
 *
 * Kept as a 0600 file `vault/audit-signing.key` (a random 32-byte Ed25519 seed, base64), made on first
 * start with the same helper as the fingerprint key — not as a row encrypted under the master key:
 * - it must outlive master-key rotation unchanged (every old checkpoint stays verifiable with one pinned
 *   public key), and a row under the master hierarchy would have to be re-wrapped and could be retired
 *   with an old master version;
 * - it lives beside `master.key` in the one directory only the signer may read, so wrapping it under a
 *   key kept in that same directory would add no protection against whoever can read it;
 * - backups copy it as a file into the vault-metadata archive, which is encrypted like the others.
 */
export type AuditSigningKey = { privateKey: KeyObject; publicKeyPem: string; keyId: string }

/** DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows (RFC 8410). */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')

const fromPrivateKey = (privateKey: KeyObject): AuditSigningKey => {
  const publicKey = createPublicKey(privateKey)
  const spki = publicKey.export({ format: 'der', type: 'spki' })
  return {
    privateKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    keyId: createHash('sha256').update(spki).digest('hex').slice(0, 16),
  }
}

/** Loads the audit key from its seed file, creating it (0600) on first start. */
export const loadAuditSigningKey = (path: string): AuditSigningKey => {
  const seed = loadOrCreateKeyFile(path)
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, seed])
  try {
    return fromPrivateKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }))
  } finally {
    der.fill(0)
    seed.fill(0)
  }
}

/** A key that lasts as long as this process (a signer composed without a vault directory, as in tests). */
export const ephemeralAuditSigningKey = (): AuditSigningKey => fromPrivateKey(generateKeyPairSync('ed25519').privateKey)

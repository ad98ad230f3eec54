import { aeadDecrypt, aeadEncrypt } from '../crypto/aead.js'
import { canonicalJson } from '../crypto/canonical-json.js'

/**
 * The two ciphertexts of the vault and the context each is bound to (SECURITY.md R4 as amended):
 * the credentials, encrypted under a per-key data key, and each share of that data key, wrapped under
 * its store's KEK. Moving a ciphertext to another row, key, version, store or index breaks its tag.
 */
export const VAULT_FORMAT = 1

export type KeyContext = { workspaceId: string; exchangeAccountId: string; keyId: string; keyVersion: number }
export type ShareContext = KeyContext & { storeId: string; shareIndex: number; t: number; n: number }

const credentialsAad = (c: KeyContext) =>
  Buffer.from(canonicalJson({ v: VAULT_FORMAT, purpose: 'credentials', workspaceId: c.workspaceId, exchangeAccountId: c.exchangeAccountId, keyId: c.keyId, keyVersion: c.keyVersion }))

const shareAad = (c: ShareContext) =>
  Buffer.from(
    canonicalJson({
      v: VAULT_FORMAT,
      purpose: 'share',
      workspaceId: c.workspaceId,
      exchangeAccountId: c.exchangeAccountId,
      keyId: c.keyId,
      keyVersion: c.keyVersion,
      storeId: c.storeId,
      shareIndex: c.shareIndex,
      t: c.t,
      n: c.n,
    }),
  )

export const encryptCredentials = (dataKey: Uint8Array, plaintext: Uint8Array, ctx: KeyContext): Buffer => aeadEncrypt(dataKey, plaintext, credentialsAad(ctx))
/** @throws IntegrityError */
export const decryptCredentials = (dataKey: Uint8Array, blob: Uint8Array, ctx: KeyContext): Buffer => aeadDecrypt(dataKey, blob, credentialsAad(ctx))

export const wrapShare = (kek: Uint8Array, share: Uint8Array, ctx: ShareContext): Buffer => aeadEncrypt(kek, share, shareAad(ctx))
/** @throws IntegrityError */
export const unwrapShare = (kek: Uint8Array, blob: Uint8Array, ctx: ShareContext): Buffer => aeadDecrypt(kek, blob, shareAad(ctx))

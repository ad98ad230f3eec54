export { sha256Hex } from './hash.js'
export { randomToken } from './random.js'
export { safeEqual } from './compare.js'
export { aeadEncrypt, aeadDecrypt, IntegrityError, AEAD_FORMAT_V1, AEAD_KEY_BYTES } from './aead.js'
export { hkdfSha256 } from './hkdf.js'
export { canonicalJson } from './canonical-json.js'
export {
  sealTo,
  openSealed,
  generateRecipientKeyPair,
  encodeCredentialFields,
  base64url,
  SEAL_VERSION,
  type SealContext,
  type SealedEnvelope,
} from './sealing.js'
export { checkpointMessage, type Checkpoint, type SignedCheckpoint } from './checkpoint-format.js'

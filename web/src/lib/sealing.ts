/**
 * The one door from the dashboard to src/crypto/sealing.ts, the same WebCrypto-only code the CLI and
 * the signer use (ECDH P-256 + HKDF-SHA256 + AES-256-GCM). Reimplementing it here would give two
 * copies of the envelope format to keep in step, so the browser imports the original (eslint.config.js
 * allows exactly this file across the web boundary: it is pure, with no Node imports and no key material).
 */
export { base64url, encodeCredentialFields, sealTo, type SealContext, type SealedEnvelope } from '../../../src/crypto/sealing'

/**
 * Sealed submissions: credentials encrypted in the browser (or CLI) to the signer's public key, so the
 * api only ever relays ciphertext. ECDH P-256 with an ephemeral key, HKDF-SHA256, AES-256-GCM; the
 * context (workspace, exchange, single-use nonce, expiry) is bound as associated data.
 *
 * Runs unchanged in browsers and Node (WebCrypto only, no Node imports): `globalThis.crypto.subtle`.
 */
import { canonicalJson } from './canonical-json.js'

export const SEAL_VERSION = 1
const HKDF_INFO = 'bulwark-seal-v1'

export type SealContext = {
  workspaceId: string
  exchange: string
  /** Single-use: the signer refuses a nonce it has seen. */
  nonce: string
  /** ISO time after which the signer refuses the envelope. */
  expiresAt: string
  purpose: 'exchange-credentials'
}

export type SealedEnvelope = {
  v: typeof SEAL_VERSION
  /** Ephemeral public key, uncompressed P-256 point, base64url. */
  epk: string
  iv: string
  ct: string
  context: SealContext
}

const subtle = () => globalThis.crypto.subtle
// Derived from the global, so the same types work with Node's and the DOM's WebCrypto declarations.
type Key = Awaited<ReturnType<ReturnType<typeof subtle>['importKey']>>
export type RecipientKeyPair = { publicKey: Key; privateKey: Key }

const b64url = {
  encode: (bytes: Uint8Array): string => {
    let s = ''
    for (const b of bytes) s += String.fromCharCode(b)
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
  },
  decode: (text: string): Uint8Array<ArrayBuffer> => {
    const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
    const out = new Uint8Array(s.length)
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i)
    return out
  },
}
export const base64url = b64url

const contextBytes = (context: SealContext) => new TextEncoder().encode(canonicalJson(context))

const deriveAesKey = async (privateKey: Key, peerPublic: Key, epkRaw: Uint8Array<ArrayBuffer>, recipientRaw: Uint8Array<ArrayBuffer>) => {
  const shared = await subtle().deriveBits({ name: 'ECDH', public: peerPublic }, privateKey, 256)
  const ikm = await subtle().importKey('raw', shared, 'HKDF', false, ['deriveKey'])
  const salt = new Uint8Array(epkRaw.length + recipientRaw.length)
  salt.set(epkRaw, 0)
  salt.set(recipientRaw, epkRaw.length)
  return subtle().deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: new TextEncoder().encode(HKDF_INFO) }, ikm, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ])
}

const importPublic = (raw: Uint8Array<ArrayBuffer>) => subtle().importKey('raw', raw, { name: 'ECDH', namedCurve: 'P-256' }, true, [])

/** Encrypts `plaintext` to the recipient's raw P-256 public key (base64url). */
export const sealTo = async (recipientPublicKey: string, plaintext: Uint8Array<ArrayBuffer>, context: SealContext): Promise<SealedEnvelope> => {
  const recipientRaw = b64url.decode(recipientPublicKey)
  const recipient = await importPublic(recipientRaw)
  const ephemeral = (await subtle().generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as RecipientKeyPair
  const epkRaw = new Uint8Array(await subtle().exportKey('raw', ephemeral.publicKey))
  const key = await deriveAesKey(ephemeral.privateKey, recipient, epkRaw, recipientRaw)
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(12))
  const ct = new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: contextBytes(context), tagLength: 128 }, key, plaintext))
  return { v: SEAL_VERSION, epk: b64url.encode(epkRaw), iv: b64url.encode(iv), ct: b64url.encode(ct), context }
}

/**
 * Opens an envelope with the recipient's private key. The caller checks the context (workspace,
 * exchange, nonce, expiry) against what it expects and wipes the plaintext after use.
 * @throws Error when the envelope does not authenticate (any byte or context field changed)
 */
export const openSealed = async (recipient: RecipientKeyPair, envelope: SealedEnvelope): Promise<Uint8Array<ArrayBuffer>> => {
  if (envelope.v !== SEAL_VERSION) throw new Error('unsupported envelope version')
  const recipientRaw = new Uint8Array(await subtle().exportKey('raw', recipient.publicKey))
  const epkRaw = b64url.decode(envelope.epk)
  const key = await deriveAesKey(recipient.privateKey, await importPublic(epkRaw), epkRaw, recipientRaw)
  return new Uint8Array(
    await subtle().decrypt({ name: 'AES-GCM', iv: b64url.decode(envelope.iv), additionalData: contextBytes(envelope.context), tagLength: 128 }, key, b64url.decode(envelope.ct)),
  )
}

/** A recipient key pair (the signer's); the public half is shared as raw base64url. */
export const generateRecipientKeyPair = async (): Promise<{ keyPair: RecipientKeyPair; publicKey: string }> => {
  const keyPair = (await subtle().generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as RecipientKeyPair
  return { keyPair, publicKey: b64url.encode(new Uint8Array(await subtle().exportKey('raw', keyPair.publicKey))) }
}

/**
 * Credentials travel as length-prefixed UTF-8 fields rather than JSON, so the signer can read the
 * secret into bytes without ever making a JS string of it. Field: [name length: 1][name][value length: 2 BE][value].
 */
export const encodeCredentialFields = (fields: Record<string, string>): Uint8Array<ArrayBuffer> => {
  const enc = new TextEncoder()
  const parts: Uint8Array[] = []
  for (const [name, value] of Object.entries(fields)) {
    const n = enc.encode(name)
    const v = enc.encode(value)
    if (n.length > 255 || v.length > 65_535) throw new RangeError(`credential field ${name} is too long`)
    parts.push(Uint8Array.of(n.length), n, Uint8Array.of(v.length >> 8, v.length & 0xff), v)
  }
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

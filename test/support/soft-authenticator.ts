import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto'
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransportFuture,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server'

/**
 * A software WebAuthn authenticator (and the bit of browser around it) for tests: real P-256 keys, real
 * CBOR, real signatures, so the server verifies exactly what it would verify from a browser. Knobs let a
 * test play a phishing page (origin), a careless authenticator (no UV, no UP), a clone (counter) or a
 * client that ignores the exclude list (credentialId on register).
 */

// --- A minimal CBOR encoder (RFC 8949): unsigned and negative ints, byte and text strings, maps. ---

export type CborValue = number | string | Uint8Array | Map<CborValue, CborValue>

const head = (major: number, length: number): Buffer => {
  if (length < 24) return Buffer.from([(major << 5) | length])
  if (length < 0x100) return Buffer.from([(major << 5) | 24, length])
  if (length < 0x10000) {
    const b = Buffer.alloc(3)
    b[0] = (major << 5) | 25
    b.writeUInt16BE(length, 1)
    return b
  }
  if (length < 0x1_0000_0000) {
    const b = Buffer.alloc(5)
    b[0] = (major << 5) | 26
    b.writeUInt32BE(length, 1)
    return b
  }
  throw new Error(`CBOR: ${length} is beyond what this encoder writes`)
}

/** Maps are written in insertion order: callers put keys in CTAP2 canonical order themselves. */
export const cborEncode = (value: CborValue): Buffer => {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`CBOR: only integers, not ${value}`)
    return value >= 0 ? head(0, value) : head(1, -1 - value)
  }
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8')
    return Buffer.concat([head(3, bytes.length), bytes])
  }
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value])
  const parts = [head(5, value.size)]
  for (const [k, v] of value) parts.push(cborEncode(k), cborEncode(v))
  return Buffer.concat(parts)
}

// --- The authenticator. ---

const FLAG_UP = 0x01
const FLAG_UV = 0x04
const FLAG_AT = 0x40
const ES256 = -7

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url')
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest()
const u32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n, 0)
  return b
}

type HeldCredential = { id: string; rpId: string; userHandle: string; privateKey: KeyObject; publicKey: KeyObject; counter: number }

/** Knobs shared by both ceremonies. */
export type CeremonyKnobs = {
  /** The origin the "browser" writes into clientDataJSON (a phishing page would have another). */
  origin?: string
  /** UV flag; defaults to true (a platform authenticator with a PIN or biometrics). */
  userVerified?: boolean
  /** UP flag; defaults to true. */
  userPresent?: boolean
  /** The signCount to report (and remember); defaults to 0 on registration, previous + 1 on assertions. */
  counter?: number
  /** Which held credential to use (register: re-register it, ignoring excludeCredentials). */
  credentialId?: string
}

export type AssertionKnobs = CeremonyKnobs & {
  /** base64url user handle to report; null leaves it out. Defaults to the stored one for discoverable sign-in only. */
  userHandle?: string | null
}

const flagsOf = (knobs: CeremonyKnobs, extra = 0) => ((knobs.userPresent ?? true) ? FLAG_UP : 0) | ((knobs.userVerified ?? true) ? FLAG_UV : 0) | extra

/** COSE_Key for an EC2 P-256 ES256 key, keys in canonical order 1, 3, -1, -2, -3. */
const coseKeyOf = (publicKey: KeyObject): Buffer => {
  const jwk = publicKey.export({ format: 'jwk' })
  if (!jwk.x || !jwk.y) throw new Error('not an EC public key')
  return cborEncode(
    new Map<CborValue, CborValue>([
      [1, 2],
      [3, ES256],
      [-1, 1],
      [-2, Buffer.from(jwk.x, 'base64url')],
      [-3, Buffer.from(jwk.y, 'base64url')],
    ]),
  )
}

export const createSoftAuthenticator = ({ origin, transports = ['internal'] }: { origin: string; transports?: AuthenticatorTransportFuture[] }) => {
  const held = new Map<string, HeldCredential>()
  const aaguid = Buffer.alloc(16)

  const clientData = (type: 'webauthn.create' | 'webauthn.get', challenge: string, knobs: CeremonyKnobs) =>
    Buffer.from(JSON.stringify({ type, challenge, origin: knobs.origin ?? origin, crossOrigin: false }), 'utf8')

  /** navigator.credentials.create() with a none attestation. */
  const register = (options: PublicKeyCredentialCreationOptionsJSON, knobs: CeremonyKnobs = {}): RegistrationResponseJSON => {
    if (!options.pubKeyCredParams.some((p) => p.alg === ES256)) throw new Error('NotSupportedError: ES256 not offered')
    const rpId = options.rp.id ?? new URL(origin).hostname
    let credential: HeldCredential
    if (knobs.credentialId !== undefined) {
      const existing = held.get(knobs.credentialId)
      if (!existing) throw new Error(`no credential ${knobs.credentialId} held`)
      credential = existing
    } else {
      if (options.excludeCredentials?.some((c) => held.has(c.id))) throw new Error('InvalidStateError: this authenticator already holds a credential for the account')
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      credential = { id: b64url(randomBytes(32)), rpId, userHandle: options.user.id, privateKey, publicKey, counter: 0 }
      held.set(credential.id, credential)
    }
    credential.counter = knobs.counter ?? credential.counter
    const rawId = Buffer.from(credential.id, 'base64url')
    const idLength = Buffer.alloc(2)
    idLength.writeUInt16BE(rawId.length, 0)
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([flagsOf(knobs, FLAG_AT)]),
      u32(credential.counter),
      aaguid,
      idLength,
      rawId,
      coseKeyOf(credential.publicKey),
    ])
    const attestationObject = cborEncode(
      new Map<CborValue, CborValue>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    )
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData('webauthn.create', options.challenge, knobs)),
        attestationObject: b64url(attestationObject),
        authenticatorData: b64url(authData),
        transports,
        publicKeyAlgorithm: ES256,
        publicKey: b64url(credential.publicKey.export({ format: 'der', type: 'spki' })),
      },
      clientExtensionResults: { credProps: { rk: true } },
      authenticatorAttachment: 'platform',
    }
  }

  /** navigator.credentials.get(): an allow list picks the credential, an empty one means discoverable sign-in. */
  const authenticate = (options: PublicKeyCredentialRequestOptionsJSON, knobs: AssertionKnobs = {}): AuthenticationResponseJSON => {
    const rpId = options.rpId ?? new URL(origin).hostname
    const allowed = options.allowCredentials ?? []
    const isDiscoverable = allowed.length === 0
    const credential =
      knobs.credentialId !== undefined
        ? held.get(knobs.credentialId)
        : [...held.values()].find((c) => c.rpId === rpId && (isDiscoverable || allowed.some((a) => a.id === c.id)))
    if (!credential) throw new Error('NotAllowedError: no matching credential')
    credential.counter = knobs.counter ?? credential.counter + 1
    const authData = Buffer.concat([sha256(rpId), Buffer.from([flagsOf(knobs)]), u32(credential.counter)])
    const clientDataJSON = clientData('webauthn.get', options.challenge, knobs)
    // ECDSA over authenticatorData ‖ SHA-256(clientDataJSON); Node emits the DER form WebAuthn expects.
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), credential.privateKey)
    const userHandle = knobs.userHandle !== undefined ? knobs.userHandle : isDiscoverable ? credential.userHandle : null
    return {
      id: credential.id,
      rawId: credential.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        ...(userHandle === null ? {} : { userHandle }),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    }
  }

  /** What the authenticator holds, for assertions in tests (no private keys). */
  const credentials = () => [...held.values()].map(({ id, rpId, userHandle, counter }) => ({ id, rpId, userHandle, counter }))

  return { register, authenticate, credentials }
}

export type SoftAuthenticator = ReturnType<typeof createSoftAuthenticator>

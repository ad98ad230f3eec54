import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { aeadDecrypt, aeadEncrypt, AEAD_FORMAT_V1, IntegrityError } from './aead.js'
import { hkdfSha256 } from './hkdf.js'
import { canonicalJson } from './canonical-json.js'
import { encodeCredentialFields, generateRecipientKeyPair, openSealed, sealTo, type SealContext } from './sealing.js'

const key = () => randomBytes(32)
const aad = Buffer.from('{"purpose":"test"}')

describe('AES-256-GCM (aead)', () => {
  it('matches the NIST SP 800-38D known-answer vector (test case 16, 256-bit key with AAD)', () => {
    // The layout wraps standard GCM: the same key, IV and AAD give the published ciphertext and tag.
    const k = Buffer.from('feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308', 'hex')
    const iv = Buffer.from('cafebabefacedbaddecaf888', 'hex')
    const pt = Buffer.from('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39', 'hex')
    const a = Buffer.from('feedfacedeadbeeffeedfacedeadbeefabaddad2', 'hex')
    const c = createCipheriv('aes-256-gcm', k, iv, { authTagLength: 16 })
    c.setAAD(a)
    const ct = Buffer.concat([c.update(pt), c.final()])
    expect(ct.toString('hex')).toBe('522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662')
    expect(c.getAuthTag().toString('hex')).toBe('76fc6ece0f4e1768cddf8853bb2d551b')
    const blob = Buffer.concat([Buffer.from([AEAD_FORMAT_V1]), iv, c.getAuthTag(), ct])
    expect(aeadDecrypt(k, blob, a).equals(pt)).toBe(true)
  })

  it('pins the format version prefix', () => {
    expect(aeadEncrypt(key(), Buffer.from('x'), aad)[0]).toBe(0x01)
  })

  it('round-trips, and every flipped byte or a different context fails as IntegrityError', () => {
    const k = key()
    const blob = aeadEncrypt(k, Buffer.from('secret material'), aad)
    expect(aeadDecrypt(k, blob, aad).toString()).toBe('secret material')
    for (let i = 0; i < blob.length; i++) {
      const bad = Buffer.from(blob)
      bad[i] = (bad[i] ?? 0) ^ 0x01
      expect(() => aeadDecrypt(k, bad, aad)).toThrow(IntegrityError)
    }
    expect(() => aeadDecrypt(k, blob, Buffer.from('{"purpose":"other"}'))).toThrow(IntegrityError)
    expect(() => aeadDecrypt(key(), blob, aad)).toThrow(IntegrityError)
  })

  it('rejects a tag truncated to 4 bytes (Node 20 accepts one without authTagLength)', () => {
    const k = key()
    const blob = aeadEncrypt(k, Buffer.from('x'), aad)
    const truncated = Buffer.concat([blob.subarray(0, 13 + 4), blob.subarray(29)])
    expect(() => aeadDecrypt(k, truncated, aad)).toThrow(IntegrityError)
    // Why the pin matters: an unpinned decipher takes the 4-byte tag.
    // eslint-disable-next-line no-restricted-syntax -- deliberately unpinned, to show what R5 guards against
    const d = createDecipheriv('aes-256-gcm', k, blob.subarray(1, 13))
    expect(() => d.setAuthTag(blob.subarray(13, 17))).not.toThrow()
  })

  it('never repeats an IV or a ciphertext for the same plaintext (100,000 encryptions)', () => {
    const k = key()
    const ivs = new Set<string>()
    const cts = new Set<string>()
    for (let i = 0; i < 100_000; i++) {
      const blob = aeadEncrypt(k, Buffer.from('same'), aad)
      ivs.add(blob.subarray(1, 13).toString('hex'))
      cts.add(blob.subarray(13).toString('hex'))
    }
    expect(ivs.size).toBe(100_000)
    expect(cts.size).toBe(100_000)
  })
})

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}')
  })
  it('refuses values it cannot encode faithfully', () => {
    expect(() => canonicalJson({ x: Number.NaN })).toThrow(TypeError)
    expect(() => canonicalJson({ x: 1n })).toThrow(TypeError)
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    expect(() => canonicalJson(cyclic)).toThrow(/cycle/)
  })
})

describe('HKDF-SHA256', () => {
  it('matches RFC 5869 test case 1', () => {
    const okm = hkdfSha256(Buffer.from('0b'.repeat(22), 'hex'), Buffer.from('000102030405060708090a0b0c', 'hex'), Buffer.from('f0f1f2f3f4f5f6f7f8f9', 'hex'), 42)
    expect(okm.toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865')
  })
})

describe('sealed submissions (ECDH P-256 + HKDF + AES-GCM, WebCrypto)', () => {
  const context: SealContext = { workspaceId: 'w1', exchange: 'binance', nonce: 'n-1', expiresAt: '2026-12-04T12:05:00Z', purpose: 'exchange-credentials' }

  it('opens with the recipient key, and not when any byte or context field changes', async () => {
    const { keyPair, publicKey } = await generateRecipientKeyPair()
    const plaintext = encodeCredentialFields({ apiKey: 'k', secret: 's' })
    const env = await sealTo(publicKey, plaintext, context)
    expect(Buffer.from(await openSealed(keyPair, env)).equals(Buffer.from(plaintext))).toBe(true)

    await expect(openSealed(keyPair, { ...env, context: { ...context, workspaceId: 'w2' } })).rejects.toThrow()
    await expect(openSealed(keyPair, { ...env, context: { ...context, nonce: 'n-2' } })).rejects.toThrow()
    const ct = Buffer.from(env.ct, 'base64url')
    ct[0] = (ct[0] ?? 0) ^ 1
    await expect(openSealed(keyPair, { ...env, ct: ct.toString('base64url') })).rejects.toThrow()
    const other = await generateRecipientKeyPair()
    await expect(openSealed(other.keyPair, env)).rejects.toThrow()
  })

  it('uses a fresh ephemeral key and IV every time', async () => {
    const { publicKey } = await generateRecipientKeyPair()
    const a = await sealTo(publicKey, new Uint8Array([1]), context)
    const b = await sealTo(publicKey, new Uint8Array([1]), context)
    expect(a.epk).not.toBe(b.epk)
    expect(a.iv).not.toBe(b.iv)
  })

  it('encodes credential fields as length-prefixed bytes', () => {
    expect(Array.from(encodeCredentialFields({ k: 'ab' }))).toEqual([1, 0x6b, 0, 2, 0x61, 0x62])
  })
})

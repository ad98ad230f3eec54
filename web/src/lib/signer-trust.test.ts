import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateRecipientKeyPair } from '../../../src/crypto/sealing'
import {
  SIGNER_KEY_STORAGE_KEY,
  assessSignerKey,
  formatFingerprint,
  maySealTo,
  readRememberedFingerprint,
  rememberFingerprint,
  signerKeyFingerprint,
  type FingerprintStore,
} from './signer-trust'

const memoryStore = (): FingerprintStore & { data: Map<string, string> } => {
  const data = new Map<string, string>()
  return { data, getItem: (key) => data.get(key) ?? null, setItem: (key, value) => void data.set(key, value) }
}

describe("the signer key's fingerprint", () => {
  it('is the first 16 hex characters of SHA-256 over the raw public key bytes', async () => {
    const { publicKey } = await generateRecipientKeyPair()
    const expected = createHash('sha256').update(Buffer.from(publicKey, 'base64url')).digest('hex').slice(0, 16)
    expect(await signerKeyFingerprint(publicKey)).toBe(expected)
  })

  it('differs between keys and is stable for one key', async () => {
    const a = await generateRecipientKeyPair()
    const b = await generateRecipientKeyPair()
    expect(await signerKeyFingerprint(a.publicKey)).toBe(await signerKeyFingerprint(a.publicKey))
    expect(await signerKeyFingerprint(a.publicKey)).not.toBe(await signerKeyFingerprint(b.publicKey))
  })

  it('refuses anything but an uncompressed P-256 point', async () => {
    await expect(signerKeyFingerprint(Buffer.alloc(33, 2).toString('base64url'))).rejects.toThrow(/P-256/)
    await expect(signerKeyFingerprint('')).rejects.toThrow(/P-256/)
  })

  it('reads in groups of four', () => {
    expect(formatFingerprint('3f9a0c12be45d7e8')).toBe('3f9a 0c12 be45 d7e8')
  })
})

describe('trust on first use', () => {
  it('trusts the first key, then only the same key', () => {
    expect(assessSignerKey(null, 'aaaaaaaaaaaaaaaa')).toEqual({ status: 'first_use', fingerprint: 'aaaaaaaaaaaaaaaa' })
    expect(assessSignerKey('aaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaa')).toEqual({ status: 'trusted', fingerprint: 'aaaaaaaaaaaaaaaa' })
    expect(assessSignerKey('aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb')).toEqual({ status: 'changed', fingerprint: 'bbbbbbbbbbbbbbbb', previous: 'aaaaaaaaaaaaaaaa' })
  })

  it('treats a damaged record as no record rather than as a match', () => {
    expect(assessSignerKey('garbage', 'aaaaaaaaaaaaaaaa').status).toBe('first_use')
    expect(assessSignerKey('', 'aaaaaaaaaaaaaaaa').status).toBe('first_use')
  })

  it('seals to a changed key only after the person confirmed it', () => {
    const changed = assessSignerKey('aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbb')
    expect(maySealTo(changed, false)).toBe(false)
    expect(maySealTo(changed, true)).toBe(true)
    expect(maySealTo(assessSignerKey(null, 'aaaaaaaaaaaaaaaa'), false)).toBe(true)
  })

  it('remembers the accepted key in storage, and survives storage that throws', () => {
    const store = memoryStore()
    expect(readRememberedFingerprint(store)).toBeNull()
    rememberFingerprint('cccccccccccccccc', store)
    expect(store.data.get(SIGNER_KEY_STORAGE_KEY)).toBe('cccccccccccccccc')
    expect(assessSignerKey(readRememberedFingerprint(store), 'cccccccccccccccc').status).toBe('trusted')

    const broken: FingerprintStore = {
      getItem: () => {
        throw new Error('SecurityError')
      },
      setItem: () => {
        throw new Error('QuotaExceededError')
      },
    }
    expect(readRememberedFingerprint(broken)).toBeNull()
    expect(() => rememberFingerprint('cccccccccccccccc', broken)).not.toThrow()
  })
})

import { describe, expect, it } from 'vitest'
import { generateRecipientKeyPair, openSealed } from '../../../src/crypto/sealing'
import { sealedEnvelope } from '../../../src/signer/signer-types'
import { envelopeTtlMs, needsStepUpFirst, prepareCredentials, sealContextFor, sealCredentials, SEAL_TTL_MS, serverClockOffsetMs, serverTime } from './exchange-sealing'

const labels = { apiKey: 'API key', secret: 'Secret key', password: 'Passphrase' } as const
const workspaceId = '0190a5b4-7c3e-7d2a-9f10-1234567890ab'
const now = new Date('2025-03-01T12:00:00.000Z')

/** The signer's reading of encodeCredentialFields: [name length: 1][name][value length: 2 BE][value]… */
const decodeFields = (bytes: Uint8Array): Record<string, string> => {
  const text = new TextDecoder()
  const out: Record<string, string> = {}
  let at = 0
  while (at < bytes.length) {
    const nameLength = bytes[at] ?? 0
    const name = text.decode(bytes.subarray(at + 1, at + 1 + nameLength))
    at += 1 + nameLength
    const valueLength = ((bytes[at] ?? 0) << 8) | (bytes[at + 1] ?? 0)
    out[name] = text.decode(bytes.subarray(at + 2, at + 2 + valueLength))
    at += 2 + valueLength
  }
  return out
}

describe('sealing exchange credentials to the signer', () => {
  it('produces an envelope only the signer key opens, carrying exactly the fields given', async () => {
    const { keyPair, publicKey } = await generateRecipientKeyPair()
    const fields = { apiKey: 'k-ABC123', secret: 's3cr3t/+=', password: 'pass phrase ü' }
    const envelope = await sealCredentials({ publicKey, workspaceId, exchange: 'okx', fields, now })

    expect(decodeFields(await openSealed(keyPair, envelope))).toEqual(fields)
    const other = await generateRecipientKeyPair()
    await expect(openSealed(other.keyPair, envelope)).rejects.toThrow()
    expect(envelope.ct).not.toContain('s3cr3t')
  })

  it('binds workspace, exchange, a fresh nonce and a two-minute expiry, as the server schema wants', async () => {
    const { keyPair, publicKey } = await generateRecipientKeyPair()
    const first = await sealCredentials({ publicKey, workspaceId, exchange: 'binance', fields: { apiKey: 'a', secret: 'b' }, now })
    const second = await sealCredentials({ publicKey, workspaceId, exchange: 'binance', fields: { apiKey: 'a', secret: 'b' }, now })

    expect(sealedEnvelope.parse(first)).toEqual(first)
    expect(first.context).toMatchObject({ workspaceId, exchange: 'binance', purpose: 'exchange-credentials', expiresAt: '2025-03-01T12:02:00.000Z' })
    expect(first.context.nonce).toMatch(/^[A-Za-z0-9_-]{16,64}$/)
    expect(second.context.nonce).not.toBe(first.context.nonce)

    // The context is authenticated: a relay that re-targets the envelope gets nothing.
    await expect(openSealed(keyPair, { ...first, context: { ...first.context, exchange: 'okx' } })).rejects.toThrow()
    await expect(openSealed(keyPair, { ...first, context: { ...first.context, expiresAt: '2025-03-01T13:00:00.000Z' } })).rejects.toThrow()
  })

  it('refuses a public key that is not a P-256 point', async () => {
    await expect(sealCredentials({ publicKey: 'AAAA', workspaceId, exchange: 'okx', fields: { apiKey: 'a', secret: 'b' }, now })).rejects.toThrow()
  })

  it('lives two minutes, or less when the signer accepts less', () => {
    expect(envelopeTtlMs(900)).toBe(SEAL_TTL_MS)
    expect(envelopeTtlMs(60)).toBe(60_000)
    expect(envelopeTtlMs(0)).toBe(SEAL_TTL_MS)
    expect(sealContextFor({ workspaceId, exchange: 'x', now, ttlMs: 60_000, nonce: 'n'.repeat(24) }).expiresAt).toBe('2025-03-01T12:01:00.000Z')
  })
})

describe('preparing typed credentials', () => {
  it('sends only the fields the exchange asks for, trimming copied whitespace from key and secret', () => {
    const result = prepareCredentials(['apiKey', 'secret'], { apiKey: '  key1 ', secret: '\tsec\n', password: 'ignored' }, labels)
    expect(result).toEqual({ ok: true, fields: { apiKey: 'key1', secret: 'sec' } })
  })

  it('keeps a passphrase exactly as typed and requires it where the exchange has one', () => {
    expect(prepareCredentials(['apiKey', 'secret', 'password'], { apiKey: 'k', secret: 's', password: ' my pass ' }, labels)).toEqual({
      ok: true,
      fields: { apiKey: 'k', secret: 's', password: ' my pass ' },
    })
    const missing = prepareCredentials(['apiKey', 'secret', 'password'], { apiKey: 'k', secret: 's', password: '' }, labels)
    expect(missing.ok).toBe(false)
    expect(missing.ok ? undefined : missing.problems.password).toBe('Enter the Passphrase you chose when you created the key.')
  })

  it('names every missing or mangled field', () => {
    const result = prepareCredentials(['apiKey', 'secret'], { apiKey: '', secret: 'half of it' }, labels)
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.problems.apiKey).toBe('Paste the API key.')
    expect(result.problems.secret).toMatch(/spaces or line breaks/)
  })

  it('refuses a pasted private key: Ed25519 keys are generated by the signer, never typed into this page', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIP2d\n-----END PRIVATE KEY-----\n'
    const result = prepareCredentials(['apiKey', 'secret'], { apiKey: 'k', secret: pem }, labels)
    expect(result.ok).toBe(false)
    expect(result.ok ? undefined : result.problems.secret).toMatch(/spaces or line breaks/)
  })
})

describe("sealing by the server's clock", () => {
  it('measures how far the server clock is from this browser, and reads the server time from it', () => {
    const receivedAt = Date.parse('2025-03-01T11:00:00.000Z') // this browser runs an hour behind
    const offset = serverClockOffsetMs('2025-03-01T12:00:00.000Z', receivedAt)
    expect(offset).toBe(3_600_000)
    expect(serverTime(offset, receivedAt + 30_000).toISOString()).toBe('2025-03-01T12:00:30.000Z')
    expect(serverClockOffsetMs('not a date', receivedAt)).toBe(0)
  })

  it("makes the envelope expire two minutes after the server's now, whatever the browser clock says", async () => {
    const { publicKey } = await generateRecipientKeyPair()
    const browserNow = Date.parse('2025-03-01T09:15:00.000Z')
    const offset = serverClockOffsetMs(now.toISOString(), browserNow)
    const envelope = await sealCredentials({ publicKey, workspaceId, exchange: 'okx', fields: { apiKey: 'a', secret: 'b' }, now: serverTime(offset, browserNow) })
    expect(envelope.context.expiresAt).toBe('2025-03-01T12:02:00.000Z')
  })
})

describe('asking for the step-up before sealing', () => {
  it('asks when there is no fresh step-up or it ends before the envelope would', () => {
    expect(needsStepUpFirst(null, now)).toBe(true)
    expect(needsStepUpFirst('2025-03-01T12:01:00.000Z', now)).toBe(true)
    expect(needsStepUpFirst('not a date', now)).toBe(true)
    expect(needsStepUpFirst('2025-03-01T12:04:00.000Z', now)).toBe(false)
  })
})

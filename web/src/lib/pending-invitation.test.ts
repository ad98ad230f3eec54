import { describe, expect, it } from 'vitest'
import {
  INVITATION_STORAGE_KEY,
  clearPendingInvitation,
  isInvitationToken,
  readPendingInvitation,
  readPendingInvitationEmail,
  savePendingInvitation,
  savePendingInvitationEmail,
  type TokenStorage,
} from './pending-invitation'

const memoryStorage = (): TokenStorage & { values: Map<string, string> } => {
  const values = new Map<string, string>()
  return {
    values,
    getItem: (key) => values.get(key) ?? null,
    setItem: (key, value) => void values.set(key, value),
    removeItem: (key) => void values.delete(key),
  }
}

describe('an invitation waiting for a sign-in', () => {
  it('keeps the token for this tab until it is cleared', () => {
    const storage = memoryStorage()
    expect(readPendingInvitation(storage)).toBeUndefined()
    savePendingInvitation('tok_123', storage)
    expect(storage.values.get(INVITATION_STORAGE_KEY)).toBe('tok_123')
    expect(readPendingInvitation(storage)).toBe('tok_123')
    savePendingInvitationEmail('sam@example.com', storage)
    expect(readPendingInvitationEmail(storage)).toBe('sam@example.com')
    clearPendingInvitation(storage)
    expect(readPendingInvitation(storage)).toBeUndefined()
    expect(readPendingInvitationEmail(storage)).toBeUndefined()
    expect(storage.values.size).toBe(0)
  })

  it('knows an invitation token by its shape (43 base64url characters) before sending it with a sign-up', () => {
    expect(isInvitationToken('A'.repeat(42) + '_')).toBe(true)
    expect(isInvitationToken('A'.repeat(42))).toBe(false)
    expect(isInvitationToken('A'.repeat(42) + '=')).toBe(false)
    expect(isInvitationToken('')).toBe(false)
  })

  it('treats a blank token as none, and a storage that throws as empty', () => {
    const storage = memoryStorage()
    savePendingInvitation('   ', storage)
    expect(readPendingInvitation(storage)).toBeUndefined()
    const broken: TokenStorage = {
      getItem: () => {
        throw new Error('denied')
      },
      setItem: () => {
        throw new Error('denied')
      },
      removeItem: () => {
        throw new Error('denied')
      },
    }
    expect(() => savePendingInvitation('t', broken)).not.toThrow()
    expect(readPendingInvitation(broken)).toBeUndefined()
    expect(() => clearPendingInvitation(broken)).not.toThrow()
  })
})

import { describe, expect, it } from 'vitest'
import { numberedRecoveryCodes, recoveryCodesClipboardText, recoveryCodesFileName, recoveryCodesFileText } from './recovery-codes'

// The server's format: an 8-character id, a dot, and 20 base32 characters in groups of four.
const codes = Array.from({ length: 10 }, (_, i) => `abcdefg${'234567abcd'[i]}.wxyz-2345-67ab-cdef-ghij`)
const createdAt = new Date('2025-03-04T05:06:07.000Z')

describe('recovery codes as text', () => {
  it('copies one code per line, nothing else', () => {
    const text = recoveryCodesClipboardText(codes)
    expect(text.split('\n')).toEqual(codes)
  })

  it('numbers codes with aligned numbers', () => {
    const lines = numberedRecoveryCodes(codes)
    expect(lines[0]).toBe(` 1. ${codes[0]}`)
    expect(lines[9]).toBe(`10. ${codes[9]}`)
    expect(numberedRecoveryCodes(['a', 'b'])).toEqual(['1. a', '2. b'])
  })

  it('writes a file that names the account, the site and the date, and holds every code once', () => {
    const text = recoveryCodesFileText({ codes, account: 'ada@example.com', origin: 'https://bulwark.example.com', createdAt })
    expect(text).toContain('Account: ada@example.com')
    expect(text).toContain('https://bulwark.example.com')
    expect(text).toContain('2025-03-04T05:06:07.000Z')
    expect(text).toMatch(/Each code works once/)
    for (const code of codes) expect(text.split(code)).toHaveLength(2)
    expect(text.endsWith('\n')).toBe(true)
  })

  it('names the file after the host and the day, safely for any file system', () => {
    expect(recoveryCodesFileName('https://bulwark.example.com', createdAt)).toBe('bulwark-recovery-codes-bulwark.example.com-2025-03-04.txt')
    expect(recoveryCodesFileName('http://localhost:8080', createdAt)).toBe('bulwark-recovery-codes-localhost-2025-03-04.txt')
    expect(recoveryCodesFileName('http://[::1]:8080', createdAt)).toBe('bulwark-recovery-codes-1-2025-03-04.txt')
    expect(recoveryCodesFileName('not a url/..', createdAt)).toBe('bulwark-recovery-codes-not-a-url-2025-03-04.txt')
    expect(recoveryCodesFileName('../..', createdAt)).toBe('bulwark-recovery-codes-bulwark-2025-03-04.txt')
  })
})

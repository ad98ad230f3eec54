import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AppError } from '../lib/errors.js'
import { commonPasswordsText } from './data/common-passwords.js'
import { assertAcceptablePassword, checkPassword, CONTEXT_WORDS, type PasswordCheckInput } from './password-policy.js'

const singleFactor: PasswordCheckInput = { userInputs: [], secondFactor: false }
const withSecondFactor: PasswordCheckInput = { userInputs: [], secondFactor: true }
/** Strong random text of exactly `length` characters (base64 of random bytes). */
const randomText = (length: number) => randomBytes(length).toString('base64').slice(0, length)
const bundled = commonPasswordsText.split('\n').filter((w) => w.length > 0)

describe('checkPassword: length (R20)', () => {
  it.each([
    ['14 characters as the only factor', 'TOO_SHORT', 'Qm4&vTz9xRk2#p', singleFactor],
    ['15 characters as the only factor', 'ok', 'Qm4&vTz9xRk2#pW', singleFactor],
    ['7 characters with a second factor', 'TOO_SHORT', 'Qm4&vTz', withSecondFactor],
    ['8 uncommon characters with a second factor', 'ok', 'Qm4&vTz9', withSecondFactor],
    ['8 uncommon characters without a second factor', 'TOO_SHORT', 'Qm4&vTz9', singleFactor],
    ['14 characters with a second factor', 'ok', 'Qm4&vTz9xRk2#p', withSecondFactor],
    ['64 strong characters', 'ok', randomText(64), singleFactor],
    ['a 64-character passphrase', 'ok', 'violet-ostrich-carburetor-17-quasar-lagoon-tundra-pickax-marimba', singleFactor],
    ['128 strong characters', 'ok', randomText(128), singleFactor],
    ['256 strong characters', 'ok', randomText(256), singleFactor],
    ['257 characters', 'TOO_LONG', randomText(257), singleFactor],
    ['15 emoji (30 UTF-16 units, 15 code points)', 'ok', '🐙🦜🍋🚲🌋🎻🧭🪁🦔🍄🛶🧲🎲🪐🦉', singleFactor],
    ['14 emoji (28 UTF-16 units, 14 code points)', 'TOO_SHORT', '🐙🦜🍋🚲🌋🎻🧭🪁🦔🍄🛶🧲🎲🪐', singleFactor],
    // NFKC turns the "ﬃ" ligature into "ffi": 14 code points as typed, 16 once normalised, as they will be stored.
    ['characters counted after NFKC', 'ok', 'ﬃQm4&vTz9xRk2#', singleFactor],
  ])('%s → %s', (_name, expected, password, input) => {
    const result = checkPassword(password, input)
    expect(result.ok ? 'ok' : result.reason).toBe(expected)
  })

  it('has no composition rules: a passphrase of lower-case words and spaces is accepted', () => {
    expect(checkPassword('mauve teapot wanders at dusk', singleFactor)).toEqual({ ok: true })
    expect(checkPassword('violet-ostrich-carburetor-17', singleFactor)).toEqual({ ok: true })
  })
})

describe('checkPassword: blocklist and breached passwords (R21)', () => {
  it.each([
    ['a list word padded with digits', 'password1234567', singleFactor],
    ['the product name with a year and symbols', 'Bulwark2025!!!!!', singleFactor],
    ['the product name, lower-case, padded further', 'bulwark2025!!!!!!!!!!', singleFactor],
    ['an exchange name repeated with a year', 'binance-binance-2025', singleFactor],
    ['context words in leetspeak', 'b1nance-trad1ng-2025', singleFactor],
    ['a list word in leetspeak with a year', 'P@ssw0rd2025!!!!', singleFactor],
    ['a list word whose leetspeak runs into the digits', 'hell0hell0123456', singleFactor],
    ['a famous published passphrase', 'correct horse battery staple', singleFactor],
    ['a short list word with a second factor', 'monkey12', withSecondFactor],
    ['the email local part plus digits', 'ostrich.lagoon1990', { userInputs: ['ostrich.lagoon'], secondFactor: false }],
    ['the email address given whole', 'ostrich.lagoon1990', { userInputs: ['ostrich.lagoon@example.com'], secondFactor: false }],
    ['the display name run together', 'marimbatundra2024!!', { userInputs: ['Marimba Tundra'], secondFactor: false }],
    ['display-name words with spaces and a year', 'Tundra Marimba 1990!', { userInputs: ['Marimba Tundra'], secondFactor: false }],
  ])('%s → BREACHED_OR_COMMON', (_name, password, input) => {
    const result = checkPassword(password, input)
    expect(result).toMatchObject({ ok: false, reason: 'BREACHED_OR_COMMON' })
    if (!result.ok) expect(result.message).toMatch(/lists of common or breached passwords|this site's name|your own name or email/)
  })

  it('says in plain words that a listed password is common or breached', () => {
    expect(checkPassword('password1234567', singleFactor)).toEqual({
      ok: false,
      reason: 'BREACHED_OR_COMMON',
      message: expect.stringContaining('this password is in lists of common or breached passwords'),
    })
  })

  it('bundles at least 3000 common passwords', () => {
    expect(new Set(bundled).size).toBeGreaterThanOrEqual(3000)
  })

  it('refuses words from the bundled list, as they are and padded to length', () => {
    const sample = bundled.filter((w, i) => i % 499 === 0 && /\p{L}/u.test(w) && [...w].length >= 8 && [...w].length <= 32)
    expect(sample.length).toBeGreaterThan(10)
    for (const word of sample) {
      expect(checkPassword(word, withSecondFactor), word).toMatchObject({ reason: 'BREACHED_OR_COMMON' })
      const padded = word + '2025' + '!'.repeat(Math.max(0, 15 - [...word].length - 4))
      expect(checkPassword(padded, singleFactor), padded).toMatchObject({ reason: 'BREACHED_OR_COMMON' })
    }
  })

  it.each(CONTEXT_WORDS)('refuses the context word %s with a year and symbols', (word) => {
    const password = `${word[0]?.toUpperCase()}${word.slice(1)}2025!`.padEnd(16, '!')
    expect(checkPassword(password, singleFactor)).toMatchObject({ reason: 'BREACHED_OR_COMMON' })
  })

  it("refuses the account's own words only for that account", () => {
    const input = { userInputs: ['ostrich.lagoon', 'Marimba Tundra'], secondFactor: false }
    for (const password of ['ostrich.lagoon1990', 'marimbatundra2024!!']) {
      expect(checkPassword(password, input)).toMatchObject({ reason: 'BREACHED_OR_COMMON' })
      expect(checkPassword(password, singleFactor)).toEqual({ ok: true })
    }
  })

  it('accepts a passphrase that merely contains a context word among other words', () => {
    expect(checkPassword('kraken under the violet carburetor', singleFactor)).toEqual({ ok: true })
  })
})

describe('checkPassword: guessability (zxcvbn)', () => {
  it.each([
    ['a keyboard row', 'qwertyuiopasdfgh'],
    ['one repeated character', 'aaaaaaaaaaaaaaaaaaaa'],
    ['the alphabet in order', 'abcdefghijklmnop'],
    ['a repeated digit pattern', '1357913579135791'],
  ])('%s → TOO_GUESSABLE with advice', (_name, password) => {
    const result = checkPassword(password, singleFactor)
    expect(result).toMatchObject({ ok: false, reason: 'TOO_GUESSABLE' })
    if (!result.ok) expect(result.message).toMatch(/^this password is too easy to guess\. \S/)
  })

  it('lets zxcvbn weigh the user inputs', () => {
    // Not a blocklist hit ("kx" is no word), but zxcvbn sees the user's own word repeated.
    const input = { userInputs: ['kx7canary'], secondFactor: false }
    expect(checkPassword('kx7canarykx7canarykx7canary', input)).toMatchObject({ reason: 'TOO_GUESSABLE' })
  })

  it('estimates even a 256-character password in bounded time', () => {
    checkPassword('warm-up the zxcvbn dictionaries', singleFactor)
    const started = performance.now()
    expect(checkPassword(randomText(256), singleFactor)).toEqual({ ok: true })
    expect(performance.now() - started).toBeLessThan(3_000) // ~0.1 s measured; generous for a loaded 2-core CI box
  })
})

describe('checkPassword never echoes or logs the password', () => {
  afterEach(() => vi.restoreAllMocks())

  it.each([
    ['TOO_SHORT', 'Kx7canaryQ', singleFactor],
    ['TOO_LONG', 'Kx7canaryQ'.repeat(26), singleFactor],
    ['BREACHED_OR_COMMON', 'kx7canary2025!!!!!', { userInputs: ['kx7canary'], secondFactor: false }],
    ['TOO_GUESSABLE', 'kx7canarykx7canarykx7canary', { userInputs: ['kx7canary'], secondFactor: false }],
  ])('%s', (reason, password, input) => {
    const writes: string[] = []
    const capture = (chunk: unknown) => {
      writes.push(String(chunk))
      return true
    }
    vi.spyOn(process.stdout, 'write').mockImplementation(capture)
    vi.spyOn(process.stderr, 'write').mockImplementation(capture)
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, method).mockImplementation(capture)

    const result = checkPassword(password, input)
    let thrown: unknown
    try {
      assertAcceptablePassword(password, input)
    } catch (err) {
      thrown = err
    }

    expect(result).toMatchObject({ ok: false, reason })
    expect(writes).toEqual([])
    const surfaces = [JSON.stringify(result), (thrown as Error).message, JSON.stringify(thrown)].join('\n').toLowerCase()
    expect(surfaces).not.toContain('kx7canary')
  })
})

describe('assertAcceptablePassword', () => {
  it('throws PASSWORD_REJECTED with the reason and a message for the user', () => {
    let thrown: unknown
    try {
      assertAcceptablePassword('password1234567', singleFactor)
    } catch (err) {
      thrown = err
    }
    expect(thrown).toBeInstanceOf(AppError)
    const err = thrown as AppError
    expect(err.code).toBe('PASSWORD_REJECTED')
    expect(err.status).toBe(400)
    expect(err.reason).toBe('BREACHED_OR_COMMON')
    expect(err.message).toMatch(/^password: this password is in lists of common or breached passwords/)
  })

  it('returns for an acceptable password', () => {
    expect(() => assertAcceptablePassword('violet-ostrich-carburetor-17', singleFactor)).not.toThrow()
  })
})

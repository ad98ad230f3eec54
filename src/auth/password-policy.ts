import { ZxcvbnFactory } from '@zxcvbn-ts/core'
import * as zxcvbnCommon from '@zxcvbn-ts/language-common'
import * as zxcvbnEn from '@zxcvbn-ts/language-en'
import { AppError } from '../lib/errors.js'
import { commonPasswordsText } from './data/common-passwords.js'
import {
  MAX_PASSWORD_LENGTH,
  MIN_PASSWORD_LENGTH_SINGLE_FACTOR,
  MIN_PASSWORD_LENGTH_WITH_SECOND_FACTOR,
  normalizePassword,
} from './password.js'

/**
 * What a new password must satisfy, at registration and at password change (SECURITY.md R20, R21):
 * a length that depends on whether a second factor is enforced, no composition rules, not common or breached,
 * not built from this site's or the user's own words, and not easy to guess by zxcvbn's estimate.
 *
 * Invariant: nothing here logs, returns or throws the password or any part of it; messages are fixed text
 * plus zxcvbn's fixed feedback strings.
 */
export type PasswordRejectionReason = 'TOO_SHORT' | 'TOO_LONG' | 'BREACHED_OR_COMMON' | 'TOO_GUESSABLE'

export type PasswordCheckInput = {
  /** The account's own words: email local part, display name. Passwords made of them are refused. */
  userInputs: readonly string[]
  /** True when the account has a second factor enforced; only then may the password be 8–14 characters. */
  secondFactor: boolean
}

export type PasswordCheckResult = { ok: true } | { ok: false; reason: PasswordRejectionReason; message: string }

/**
 * zxcvbn's 0–4 score. 3 ("moderate protection from an offline slow-hash attack") when the password is the only
 * factor. 2 ("protection from unthrottled online attacks") when a second factor is enforced: zxcvbn rates any
 * 8-character string at most 2 (10^8 guesses), so requiring 3 would quietly turn R20's 8-character minimum into 9,
 * and with a second factor a cracked hash alone no longer opens the account.
 */
const minScore = (secondFactor: boolean): number => (secondFactor ? 2 : 3)
const ZXCVBN_MAX_LENGTH = 64

/** Words an attacker targeting this site tries first: the product, the exchanges it connects to, the domain. */
export const CONTEXT_WORDS: readonly string[] = [
  'bulwark',
  'binance', 'okx', 'okex', 'bybit', 'kucoin', 'bitget', 'mexc', 'gateio', 'gate', 'kraken', 'bitfinex', 'htx', 'huobi',
  'xt', 'exmo', 'blofin',
  'trading', 'trader', 'trade', 'crypto', 'bitcoin', 'btc', 'ethereum', 'eth', 'usdt', 'satoshi', 'wallet', 'exchange',
]

const COMMON_MESSAGE = 'this password is in lists of common or breached passwords; choose another (a few unrelated words work well)'
const CONTEXT_MESSAGE =
  "this password is built from this site's name, exchange or trading words, or your own name or email, which attackers try first; " +
  'choose another (a few unrelated words work well)'

/**
 * The breached-corpus lookup of R21 is offline: the api has no network access, so there is no k-anonymity
 * range query. The list is the ranked password dictionary that zxcvbn ships (built from leaked password sets),
 * cut to its most frequent entries by scripts/build-password-list.mjs; zxcvbn below checks the whole dictionary
 * as well, but only as one signal among its guess estimates.
 */
let commonPasswords: ReadonlySet<string> | undefined
const commonPasswordSet = (): ReadonlySet<string> =>
  (commonPasswords ??= new Set(commonPasswordsText.split('\n').filter((w) => w.length > 0)))

/** Built on first use (~0.1 s, tens of MB of ranked dictionaries), then shared: checks are pure. */
let zxcvbn: ZxcvbnFactory | undefined
const estimator = (): ZxcvbnFactory =>
  (zxcvbn ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
    // The check is synchronous CPU work on the api's event loop, and its cost grows steeply with length and
    // symbols (random 256-character input: several seconds here). These bounds keep the worst case near 0.1 s:
    // Levenshtein matching is off (~10× slower; the blocklist catches near-misses), l33t substitution
    // combinations are capped (the blocklist undoes leetspeak itself), and only the first 64 characters are
    // estimated — a string whose first 64 characters are unguessable is unguessable. This bounds the estimate
    // only: the full password is what gets hashed and compared (R20, no truncation).
    useLevenshteinDistance: false,
    l33tMaxSubstitutions: 20,
    maxLength: ZXCVBN_MAX_LENGTH,
  }))

// Common substitutions, undone two ways because 1, ! and | stand for both i and l.
const LEET_I: Readonly<Record<string, string>> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', $: 's', '!': 'i', '|': 'l', '+': 't' }
const LEET_L: Readonly<Record<string, string>> = { ...LEET_I, '1': 'l', '!': 'l', '|': 'i' }
const unLeet = (s: string, table: Readonly<Record<string, string>>): string => [...s].map((c) => table[c] ?? c).join('')

const NOT_LETTER = /[^\p{L}]/u
/** How many characters of a trailing digit/symbol run may still be leetspeak for the word before it ("hell0" + "2025"). */
const LEET_TAIL_WINDOW = 4

/**
 * The strings the blocklist rules look at: the password and its separator-free form ("correct horse" →
 * "correcthorse"), each also without its trailing digits/symbols ("password" + "1234567"), each with leetspeak undone.
 */
const candidates = (normalized: string): Set<string> => {
  const lower = normalized.toLowerCase()
  const forms = new Set([lower, lower.replace(/[\s\-_.]+/gu, '')])
  const cores = new Set<string>()
  for (const form of forms) {
    const chars = [...form]
    let letterEnd = chars.length
    while (letterEnd > 0 && NOT_LETTER.test(chars[letterEnd - 1] ?? '')) letterEnd -= 1
    cores.add(form)
    // Only a core with a letter: a long random number must not be refused because it starts with "2024".
    if (letterEnd === 0) continue
    for (let end = letterEnd; end <= Math.min(chars.length, letterEnd + LEET_TAIL_WINDOW); end += 1) cores.add(chars.slice(0, end).join(''))
  }
  const out = new Set<string>()
  for (const core of cores) for (const v of [core, unLeet(core, LEET_I), unLeet(core, LEET_L)]) out.add(v)
  return out
}

/** True when `token` is a concatenation of `words` ("binancebinance"). Linear in the token for a fixed word set. */
const isMadeOf = (token: string, words: readonly string[]): boolean => {
  const reachable = new Array<boolean>(token.length + 1).fill(false)
  reachable[0] = true
  for (let i = 0; i < token.length; i += 1) {
    if (!reachable[i]) continue
    for (const w of words) if (token.startsWith(w, i)) reachable[i + w.length] = true
  }
  return reachable[token.length] === true
}

/** The account's words, lower-cased: whole inputs (exact matches) and their letter runs of 3+ (building blocks). */
const userWords = (userInputs: readonly string[]) => {
  const whole = new Set<string>()
  const parts = new Set<string>()
  for (const input of userInputs) {
    const lower = input.normalize('NFKC').toLowerCase().trim()
    const local = lower.includes('@') ? lower.slice(0, lower.lastIndexOf('@')) : lower
    if (local.length === 0) continue
    whole.add(local)
    whole.add(local.replace(/[\s\-_.]+/gu, ''))
    for (const part of local.split(/[^\p{L}]+/u)) if ([...part].length >= 3) parts.add(part)
  }
  return { whole, parts: [...parts] }
}

/** The blocklist rules of R21; undefined when none applies. */
const blocklistProblem = (normalized: string, userInputs: readonly string[]): string | undefined => {
  const common = commonPasswordSet()
  const user = userWords(userInputs)
  const buildingBlocks = [...CONTEXT_WORDS, ...user.parts]
  for (const candidate of candidates(normalized)) {
    if (common.has(candidate)) return COMMON_MESSAGE
    if (user.whole.has(candidate)) return CONTEXT_MESSAGE
    // Context and account words with only digits and symbols around them: "bulwark2025!!!", "binance-binance-2025".
    const tokens = candidate.split(/[^\p{L}]+/u).filter((t) => t.length > 0)
    if (tokens.length > 0 && tokens.every((t) => isMadeOf(t, buildingBlocks))) return CONTEXT_MESSAGE
  }
  return undefined
}

const reject = (reason: PasswordRejectionReason, message: string): PasswordCheckResult => ({ ok: false, reason, message })

/**
 * Whether `password` may be set as an account's password. Cheap rules first: length, then the blocklist,
 * then zxcvbn (the first call also builds its dictionaries). Never logs or echoes the password.
 */
export const checkPassword = (password: string, { userInputs, secondFactor }: PasswordCheckInput): PasswordCheckResult => {
  const normalized = normalizePassword(password)
  const length = [...normalized].length
  const min = secondFactor ? MIN_PASSWORD_LENGTH_WITH_SECOND_FACTOR : MIN_PASSWORD_LENGTH_SINGLE_FACTOR
  if (length < min) {
    const hint = secondFactor ? '' : ' (a passphrase of a few words works well; 8 are enough once a second factor is on)'
    return reject('TOO_SHORT', `use at least ${min} characters${hint}`)
  }
  if (length > MAX_PASSWORD_LENGTH) return reject('TOO_LONG', `use at most ${MAX_PASSWORD_LENGTH} characters`)

  const blocked = blocklistProblem(normalized, userInputs)
  if (blocked) return reject('BREACHED_OR_COMMON', blocked)

  const { score, feedback } = estimator().check(normalized, [...userInputs, ...CONTEXT_WORDS])
  if (score < minScore(secondFactor)) {
    const advice = [feedback.warning, ...feedback.suggestions].filter((s): s is string => typeof s === 'string' && s.length > 0)
    return reject('TOO_GUESSABLE', ['this password is too easy to guess.', ...advice].join(' '))
  }
  return { ok: true }
}

/**
 * checkPassword for use-cases: registration and password change.
 * @throws AppError PASSWORD_REJECTED with `reason` set to the PasswordRejectionReason
 */
export const assertAcceptablePassword = (password: string, input: PasswordCheckInput): void => {
  const result = checkPassword(password, input)
  if (!result.ok) throw new AppError('PASSWORD_REJECTED', `password: ${result.message}`, { reason: result.reason })
}

import { hash, verify } from '@node-rs/argon2'

// The library's Algorithm is an ambient const enum, which isolated modules cannot read: 2 is Argon2id.
const ARGON2ID = 2

/**
 * argon2id at the OWASP floor (m = 19 MiB, t = 2, p = 1) with a random 16-byte salt (the library's default).
 * The accounts feature adds rehash-on-login when these rise, and the blocklist/zxcvbn checks.
 */
export const argon2Params = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

export const MIN_PASSWORD_LENGTH_SINGLE_FACTOR = 15
export const MAX_PASSWORD_LENGTH = 256

/** NFKC, applied the same way at every comparison; never truncated. */
export const normalizePassword = (password: string): string => password.normalize('NFKC')

/** Why a password is refused, or undefined when it is acceptable as a single factor (R20). */
export const passwordProblem = (password: string): string | undefined => {
  const length = [...normalizePassword(password)].length
  if (length < MIN_PASSWORD_LENGTH_SINGLE_FACTOR) return `use at least ${MIN_PASSWORD_LENGTH_SINGLE_FACTOR} characters (a passphrase of a few words works well)`
  if (length > MAX_PASSWORD_LENGTH) return `use at most ${MAX_PASSWORD_LENGTH} characters`
  return undefined
}

export const hashPassword = (password: string): Promise<string> => hash(normalizePassword(password), argon2Params)

export const verifyPassword = (phc: string, password: string): Promise<boolean> => verify(phc, normalizePassword(password))

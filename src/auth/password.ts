import { randomBytes } from 'node:crypto'
import { argon2id, argon2Verify } from 'hash-wasm'

/**
 * argon2id at the OWASP floor (m = 19 MiB, t = 2, p = 1) with a random 16-byte salt, as a PHC string.
 * hash-wasm (WebAssembly) rather than a native addon: the api runs under Node's permission model, where
 * `--allow-addons` would let any addon step around it. The accounts feature adds rehash-on-login when
 * these rise, and the blocklist/zxcvbn checks.
 */
export const argon2Params = { memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32 } as const

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

export const hashPassword = (password: string): Promise<string> =>
  argon2id({ password: normalizePassword(password), salt: randomBytes(16), ...argon2Params, outputType: 'encoded' })

export const verifyPassword = (phc: string, password: string): Promise<boolean> => argon2Verify({ password: normalizePassword(password), hash: phc })

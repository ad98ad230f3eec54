import { randomBytes } from 'node:crypto'
import { argon2id, argon2Verify } from 'hash-wasm'
import { AppError } from '../lib/errors.js'

/**
 * Password storage (SECURITY.md R22): argon2id, PHC strings, rehash on login when the parameters rise.
 * hash-wasm (WebAssembly) rather than a native addon: the api runs under Node's permission model, where
 * `--allow-addons` would let any addon step around it. What a password must look like is in password-policy.ts.
 */
export type Argon2Params = {
  readonly memorySize: number // KiB
  readonly iterations: number
  readonly parallelism: number
  readonly hashLength: number // bytes
}

/** The OWASP row m = 19 MiB, t = 2, p = 1 (ASVS App. C). Nothing is hashed below it, whatever the config says. */
export const ARGON2_FLOOR: Argon2Params = { memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32 }

/** The current parameters; config may raise them, and needsRehash then upgrades each hash at its next login. */
export const argon2Params = { memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32 } as const satisfies Argon2Params

/** NIST's salt floor is 32 bits; R22 asks for 16 bytes. */
export const SALT_BYTES = 16
/** argon2 version 0x13, the only one hash-wasm writes; 0x10 hashes are rehashed. */
const ARGON2_VERSION = 19

export const MIN_PASSWORD_LENGTH_SINGLE_FACTOR = 15
/** Allowed only when a second factor is enforced for the account (R20). */
export const MIN_PASSWORD_LENGTH_WITH_SECOND_FACTOR = 8
/** R20 requires at least 64 to be allowed; the cap only bounds the work one request can cause. */
export const MAX_PASSWORD_LENGTH = 256

/** NFKC, applied the same way at every comparison; never truncated. */
export const normalizePassword = (password: string): string => password.normalize('NFKC')

/** Length in code points of the normalised password: what the length rules count (a user counts "é" as one). */
export const passwordLength = (password: string): number => [...normalizePassword(password)].length

/**
 * Why a password is refused by length alone, or undefined when its length is acceptable as a single factor (R20).
 * Kept for callers that only need the length rule; registration and password change use checkPassword.
 */
export const passwordProblem = (password: string): string | undefined => {
  const length = passwordLength(password)
  if (length < MIN_PASSWORD_LENGTH_SINGLE_FACTOR) return `use at least ${MIN_PASSWORD_LENGTH_SINGLE_FACTOR} characters (a passphrase of a few words works well)`
  if (length > MAX_PASSWORD_LENGTH) return `use at most ${MAX_PASSWORD_LENGTH} characters`
  return undefined
}

const belowFloor = (params: Argon2Params): boolean =>
  !Number.isInteger(params.memorySize) ||
  !Number.isInteger(params.iterations) ||
  !Number.isInteger(params.parallelism) ||
  params.memorySize < ARGON2_FLOOR.memorySize ||
  params.iterations < ARGON2_FLOOR.iterations ||
  params.parallelism < ARGON2_FLOOR.parallelism ||
  params.hashLength < ARGON2_FLOOR.hashLength

/**
 * An argon2id PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a fresh 16-byte salt.
 * @throws AppError INTERNAL when `params` are below ARGON2_FLOOR (a misconfiguration, never stored)
 */
export const hashPassword = async (password: string, params: Argon2Params = argon2Params): Promise<string> => {
  if (belowFloor(params)) throw new AppError('INTERNAL', 'argon2 parameters are below the floor (m ≥ 19456 KiB, t ≥ 2, p ≥ 1)')
  const { memorySize, iterations, parallelism, hashLength } = params
  return argon2id({ password: normalizePassword(password), salt: randomBytes(SALT_BYTES), memorySize, iterations, parallelism, hashLength, outputType: 'encoded' })
}

export const verifyPassword = (phc: string, password: string): Promise<boolean> => argon2Verify({ password: normalizePassword(password), hash: phc })

export type PhcInfo = {
  algorithm: string
  /** `v=` when present (argon2 writes 19 for 0x13). */
  version: number | null
  /** argon2 `m`, in KiB. */
  memorySize: number | null
  /** argon2 `t`. */
  iterations: number | null
  /** argon2 `p`. */
  parallelism: number | null
  saltBytes: number
  hashBytes: number
}

// $<id>[$v=<version>][$<k>=<v>(,<k>=<v>)*]$<salt b64>$<hash b64>, the PHC string format (B64 without padding).
const PHC = /^\$([a-z0-9-]{1,32})(?:\$v=(\d{1,10}))?(?:\$([a-z0-9-]{1,32}=[^$,]{1,64}(?:,[a-z0-9-]{1,32}=[^$,]{1,64}){0,15}))?\$([A-Za-z0-9+/]{1,512})\$([A-Za-z0-9+/]{1,1024})$/

const b64Bytes = (s: string): number => Buffer.from(s, 'base64').length

const intParam = (params: Map<string, string>, key: string): number | null => {
  const raw = params.get(key)
  return raw !== undefined && /^\d{1,10}$/.test(raw) ? Number(raw) : null
}

/**
 * The algorithm and cost parameters of a stored PHC string, for needsRehash and for the test that checks
 * every stored hash against the floors (R22).
 * @throws AppError INTEGRITY_FAILED when the string is not a PHC string (the message never quotes it)
 */
export const parsePhc = (phc: string): PhcInfo => {
  const m = PHC.exec(phc)
  if (!m) throw new AppError('INTEGRITY_FAILED', 'a stored password hash is malformed')
  const [, algorithm = '', version, rawParams, salt = '', hash = ''] = m
  const params = new Map((rawParams ?? '').split(',').filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]))
  return {
    algorithm,
    version: version === undefined ? null : Number(version),
    memorySize: intParam(params, 'm'),
    iterations: intParam(params, 't'),
    parallelism: intParam(params, 'p'),
    saltBytes: b64Bytes(salt),
    hashBytes: b64Bytes(hash),
  }
}

/**
 * True when a hash that just verified should be replaced by hashPassword(password, params): another algorithm,
 * an older argon2 version, any cost below `params`, or a salt or output shorter than we write now.
 * Never throws: an unreadable hash is also one to replace.
 */
export const needsRehash = (phc: string, params: Argon2Params = argon2Params): boolean => {
  let info: PhcInfo
  try {
    info = parsePhc(phc)
  } catch {
    return true
  }
  return (
    info.algorithm !== 'argon2id' ||
    info.version !== ARGON2_VERSION ||
    info.memorySize === null ||
    info.iterations === null ||
    info.parallelism === null ||
    info.memorySize < params.memorySize ||
    info.iterations < params.iterations ||
    info.parallelism < params.parallelism ||
    info.saltBytes < SALT_BYTES ||
    info.hashBytes < params.hashLength
  )
}

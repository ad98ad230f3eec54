import { randomBytes } from 'node:crypto'

/** A URL-safe random token with `bytes` bytes of entropy from the CSPRNG. */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url')

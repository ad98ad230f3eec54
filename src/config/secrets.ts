import { readFileSync, statSync } from 'node:fs'
import { createFileExclusive } from '../lib/durable-file.js'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { AppError, systemErrorCode } from '../lib/errors.js'
import { privateDir } from './home.js'
import type { Config } from './env.js'

/**
 * Platform secrets: never literals in code, never in the environment. Each is generated on first start as
 * a 0600 file under BULWARK_HOME/secrets, or read from the path its *_FILE variable gives.
 * `rotationDays` is the documented rotation period (SECURITY.md R43); `doctor` reports ages against it.
 */
export const platformSecretSpecs = {
  session: { fileVar: 'SESSION_KEY_FILE', rotationDays: 180, purpose: 'signs session cookies' },
  csrf: { fileVar: 'CSRF_KEY_FILE', rotationDays: 180, purpose: 'derives CSRF tokens' },
  auditHmac: { fileVar: 'AUDIT_HMAC_KEY_FILE', rotationDays: 365, purpose: 'HMACs secret-derived identifiers in the audit log' },
  totpSeed: { fileVar: 'TOTP_SEED_KEY_FILE', rotationDays: 365, purpose: 'encrypts TOTP seeds at rest' },
  webhookSecret: { fileVar: 'WEBHOOK_SECRET_KEY_FILE', rotationDays: 365, purpose: 'encrypts Signal Bot webhook secrets at rest' },
} as const satisfies Record<string, { fileVar: keyof Config; rotationDays: number; purpose: string }>

export type PlatformSecretName = keyof typeof platformSecretSpecs
export type PlatformSecrets = Readonly<Record<PlatformSecretName, Buffer>>

const KEY_BYTES = 32

export type SecretFileInfo = { name: PlatformSecretName; path: string; generated: boolean; createdAt: Date; mode: number }

export const secretFilePath = (home: string, name: PlatformSecretName, config: Partial<Config>): { path: string; generated: boolean } => {
  const override = config[platformSecretSpecs[name].fileVar]
  return typeof override === 'string' ? { path: override, generated: false } : { path: join(home, 'secrets', `${name}.key`), generated: true }
}

// Never overwrites: if two processes race, one wins and the other reads its key.
const writeNewKey = (path: string): void => {
  createFileExclusive(path, `${randomBytes(KEY_BYTES).toString('base64')}\n`)
}

const readKey = (name: PlatformSecretName, path: string, generated: boolean): Buffer => {
  let st
  try {
    st = statSync(path)
  } catch (err) {
    throw new AppError('BAD_INPUT', `${platformSecretSpecs[name].fileVar} file ${path} cannot be read (${systemErrorCode(err) ?? 'error'}): fix the path`, { cause: err })
  }
  // Generated files must be owner-only; operator-provided ones may be group-readable (secret mounts) but never world-readable.
  const forbidden = generated ? 0o077 : 0o007
  if ((st.mode & forbidden) !== 0) {
    throw new AppError('FORBIDDEN', `secret file ${path} is readable by others (mode ${(st.mode & 0o777).toString(8)}): run \`chmod 600 ${path}\``)
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')
  if (key.length < KEY_BYTES) {
    key.fill(0)
    throw new AppError('BAD_INPUT', `secret file ${path} must hold at least ${KEY_BYTES} random bytes, base64-encoded`)
  }
  return key
}

/** Loads every platform secret, generating missing ones. @throws AppError naming the file and the fix */
export const loadPlatformSecrets = (home: string, config: Partial<Config>): PlatformSecrets => {
  privateDir(home, 'secrets')
  const out = {} as Record<PlatformSecretName, Buffer>
  for (const name of Object.keys(platformSecretSpecs) as PlatformSecretName[]) {
    const { path, generated } = secretFilePath(home, name, config)
    if (generated) writeNewKey(path)
    out[name] = readKey(name, path, generated)
  }
  return Object.freeze(out)
}

/** File facts for `doctor` (no key material is read). */
export const describeSecretFiles = (home: string, config: Partial<Config>): Array<SecretFileInfo | { name: PlatformSecretName; path: string; missing: true }> =>
  (Object.keys(platformSecretSpecs) as PlatformSecretName[]).map((name) => {
    const { path, generated } = secretFilePath(home, name, config)
    try {
      const st = statSync(path)
      return { name, path, generated, createdAt: st.birthtime.getTime() > 0 ? st.birthtime : st.mtime, mode: st.mode & 0o777 }
    } catch {
      return { name, path, missing: true as const }
    }
  })

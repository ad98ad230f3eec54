/**
 * Recovery codes as the person copies or downloads them. The server shows a set once (only hashes
 * are kept), so the text must stand on its own months later: which account, which site, how to use.
 */

export const RECOVERY_CODES_PER_SET = 10

/** One code per line, as copied to the clipboard. */
export const recoveryCodesClipboardText = (codes: readonly string[]): string => codes.join('\n')

/** " 1. abcd…" — numbered and aligned so a printed sheet is easy to tick off. */
export const numberedRecoveryCodes = (codes: readonly string[]): string[] => {
  const width = String(codes.length).length
  return codes.map((code, index) => `${String(index + 1).padStart(width, ' ')}. ${code}`)
}

export type RecoveryCodesFileInput = {
  codes: readonly string[]
  account: string
  /** The instance's origin, e.g. https://bulwark.example.com */
  origin: string
  createdAt: Date
}

const isoDate = (date: Date): string => date.toISOString().slice(0, 10)

/** Host names only: the file name must be safe on every file system. */
const fileSafe = (value: string): string =>
  value
    .replace(/[^a-z0-9.-]+/gi, '-')
    .replace(/\.{2,}/g, '.')
    .replace(/^[-.]+|[-.]+$/g, '') || 'bulwark'

const hostOf = (origin: string): string => {
  try {
    return new URL(origin).hostname
  } catch {
    return origin
  }
}

export const recoveryCodesFileName = (origin: string, createdAt: Date): string =>
  `bulwark-recovery-codes-${fileSafe(hostOf(origin))}-${isoDate(createdAt)}.txt`

export const recoveryCodesFileText = ({ codes, account, origin, createdAt }: RecoveryCodesFileInput): string =>
  [
    'Bulwark recovery codes',
    '',
    `Account: ${account}`,
    `Site:    ${origin}`,
    `Created: ${createdAt.toISOString()}`,
    '',
    'Use a code when you cannot use your authenticator app or passkey. Each code works once.',
    'Generating a new set makes every code below useless.',
    'Keep this file offline and private: with your password, a code signs in to your account.',
    '',
    ...numberedRecoveryCodes(codes),
    '',
  ].join('\n')

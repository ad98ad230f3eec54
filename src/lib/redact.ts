/**
 * Key-name based redaction for anything that is logged or stored as free-form details.
 * A field whose name suggests a secret is replaced whatever its depth, so a new secret-bearing field is
 * covered without anyone remembering to add a path.
 */
const secretKeyPattern =
  /pass(word|phrase)?|secret|token|api[-_]?key|apikey|private[-_]?key|priv[-_]?key|seed|recovery[-_]?code|^otp|totp|share|cookie|authorization|credential|signature|master[-_]?key|session[-_]?id|sid$|kek|dek/i

export const REDACTED = '[redacted]'

/**
 * Our own bearer secrets by their shape, wherever they appear in text: API tokens (`bwt_`) and Signal
 * Bot webhook secrets (`bwh_`), alert webhook signing secrets (`bwn_`). A secret pasted into a free-text field or echoed in an error still never
 * reaches a log.
 */
const secretValuePattern = /\bbw[htn]_[A-Za-z0-9_-]{20,}/g

export const scrubSecretValues = (text: string): string => text.replace(secretValuePattern, REDACTED)

export const isSecretFieldName = (key: string): boolean => secretKeyPattern.test(key)

/** Returns a copy with secret-named fields replaced; depth-bounded so a hostile object cannot hang a log call. */
export const redactSecrets = (value: unknown, depth = 0): unknown => {
  if (typeof value === 'string') return scrubSecretValues(value)
  if (value === null || typeof value !== 'object') return value
  if (depth > 8) return '[depth limit]'
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1))
  if (ArrayBuffer.isView(value)) return '[binary]'
  // Class instances (errors, requests, dates) are left to their serializers, which see them whole.
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) return value
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = isSecretFieldName(k) ? REDACTED : redactSecrets(v, depth + 1)
  return out
}

/** Lists the secret-named fields of an object (used to refuse them in audit details). */
export const findSecretFields = (value: unknown, path = '', depth = 0): string[] => {
  if (value === null || typeof value !== 'object' || depth > 8) return []
  const found: string[] = []
  for (const [k, v] of Object.entries(value)) {
    const p = path ? `${path}.${k}` : k
    if (isSecretFieldName(k)) found.push(p)
    else found.push(...findSecretFields(v, p, depth + 1))
  }
  return found
}

/** A URL with every query value removed: tokens in links (email verification, resets) never reach a log. */
export const redactUrl = (url: string): string => {
  const q = url.indexOf('?')
  if (q === -1) return url
  const keys = url
    .slice(q + 1)
    .split('&')
    .map((pair) => pair.split('=')[0])
    .filter(Boolean)
  return `${url.slice(0, q)}?${keys.map((k) => `${k}=${REDACTED}`).join('&')}`
}

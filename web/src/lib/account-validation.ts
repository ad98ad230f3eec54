/**
 * Client-side checks for the account forms. They save a round trip and point at the field; the
 * server checks everything again and its answer wins.
 */

// Deliberately loose: `operator@localhost` is a fair address on a self-hosted box.
export const looksLikeEmail = (value: string): boolean => /^[^\s@]+@[^\s@]+$/.test(value.trim())

export const emailProblem = (value: string): string | undefined => {
  const email = value.trim()
  if (email === '') return 'Enter your email address.'
  if (!looksLikeEmail(email)) return `"${email}" does not look like an email address.`
  return undefined
}

export const ANTI_PHISHING_MIN = 4
export const ANTI_PHISHING_MAX = 20

export const antiPhishingProblem = (code: string): string | undefined => {
  const trimmed = code.trim()
  if (trimmed.length < ANTI_PHISHING_MIN || trimmed.length > ANTI_PHISHING_MAX) {
    return `Use ${ANTI_PHISHING_MIN} to ${ANTI_PHISHING_MAX} characters; this one has ${trimmed.length}.`
  }
  if (!/^[A-Za-z0-9-]+$/.test(trimmed)) return 'Use only letters, digits and dashes.'
  return undefined
}

export const TOKEN_MIN_DAYS = 1
export const TOKEN_MAX_DAYS = 365

export const expiryDaysProblem = (value: string): string | undefined => {
  const days = Number(value)
  if (value.trim() === '' || !Number.isInteger(days) || days < TOKEN_MIN_DAYS || days > TOKEN_MAX_DAYS) {
    return `Enter a whole number of days from ${TOKEN_MIN_DAYS} to ${TOKEN_MAX_DAYS}.`
  }
  return undefined
}

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

const isIpv6 = (value: string): boolean => {
  if (!value.includes(':') || !/^[0-9a-f:.]+$/i.test(value)) return false
  try {
    // The URL parser implements the full IPv6 grammar (zero compression, embedded IPv4).
    return new URL(`http://[${value}]/`).hostname !== ''
  } catch {
    return false
  }
}

/** "203.0.113.7" → "203.0.113.7/32"; a CIDR stays as it is; anything else is undefined. */
export const normalizeCidr = (entry: string): string | undefined => {
  const [address = '', prefix, extra] = entry.split('/')
  if (extra !== undefined) return undefined
  const isV4 = ipv4.test(address)
  if (!isV4 && !isIpv6(address)) return undefined
  const max = isV4 ? 32 : 128
  if (prefix === undefined) return `${address}/${max}`
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return undefined
  return `${address}/${Number(prefix)}`
}

/** The allowed-IP box: one range per line or separated by commas or spaces. */
export const parseCidrList = (text: string): { cidrs: string[]; invalid: string[] } => {
  const entries = text.split(/[\s,]+/).filter((entry) => entry !== '')
  const cidrs: string[] = []
  const invalid: string[] = []
  for (const entry of entries) {
    const cidr = normalizeCidr(entry)
    if (cidr === undefined) invalid.push(entry)
    else if (!cidrs.includes(cidr)) cidrs.push(cidr)
  }
  return { cidrs, invalid }
}

export const cidrListProblem = (text: string): string | undefined => {
  const { invalid } = parseCidrList(text)
  if (invalid.length === 0) return undefined
  const quoted = invalid.map((entry) => `"${entry}"`).join(', ')
  return `${invalid.length === 1 ? 'This is not' : 'These are not'} an IP address or range: ${quoted}. Use forms like 203.0.113.0/24 or 2001:db8::/32.`
}

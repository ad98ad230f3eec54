import { BlockList, isIP } from 'node:net'

/**
 * CIDR ranges for the workspace policy "allowed sign-in IP ranges": parsing to a canonical form,
 * membership of an address, and whether a new list reaches anything the old one did not (widening).
 * IPv4 and IPv6; an IPv4 address seen on a dual-stack socket (`::ffff:192.0.2.1`) counts as IPv4.
 */

export type IpFamily = 'ipv4' | 'ipv6'
export type IpRange = { family: IpFamily; network: string; prefix: number; text: string }

/** At most this many ranges in one workspace policy. */
export const MAX_IP_RANGES = 50

const WIDTH: Record<IpFamily, number> = { ipv4: 32, ipv6: 128 }
const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i

/** An address as the matcher sees it: an IPv4-mapped IPv6 address is its IPv4 address. */
export const canonicalAddress = (address: string): { family: IpFamily; address: string } | undefined => {
  const bare = address.trim()
  const mapped = MAPPED_V4.exec(bare)?.[1]
  if (mapped !== undefined && isIP(mapped) === 4) return { family: 'ipv4', address: mapped }
  const version = isIP(bare)
  if (version === 4) return { family: 'ipv4', address: bare }
  // A zone index (fe80::1%eth0) names an interface, not a network: not a range anyone can allow.
  if (version === 6 && !bare.includes('%')) return { family: 'ipv6', address: bare }
  return undefined
}

const v4ToBigInt = (address: string): bigint => address.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n)

const v6ToBigInt = (address: string): bigint => {
  let text = address.toLowerCase()
  // A trailing dotted IPv4 part (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) becomes two hex groups.
  const dotted = /(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text)?.[1]
  if (dotted !== undefined) {
    const n = v4ToBigInt(dotted)
    text = `${text.slice(0, -dotted.length)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`
  }
  const [head = '', tail] = text.split('::')
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'))
  const left = groupsOf(head)
  const right = tail === undefined ? [] : groupsOf(tail)
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n)
}

const v4Text = (n: bigint) => [24n, 16n, 8n, 0n].map((shift) => ((n >> shift) & 0xffn).toString()).join('.')

/** RFC 5952: lower case, no leading zeros, the longest run (two or more) of zero groups as `::`. */
const v6Text = (n: bigint): string => {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn))
  let best = { start: -1, length: 0 }
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > best.length) best = { start: i, length: j - i }
    i = j
  }
  const hex = groups.map((g) => g.toString(16))
  if (best.length < 2) return hex.join(':')
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`
}

const toBigInt = (family: IpFamily, address: string) => (family === 'ipv4' ? v4ToBigInt(address) : v6ToBigInt(address))
const toText = (family: IpFamily, n: bigint) => (family === 'ipv4' ? v4Text(n) : v6Text(n))
const maskOf = (family: IpFamily, prefix: number) => {
  const width = BigInt(WIDTH[family])
  const all = (1n << width) - 1n
  return prefix === 0 ? 0n : (all >> (width - BigInt(prefix))) << (width - BigInt(prefix))
}

/**
 * One range from what a person typed: `203.0.113.0/24`, `2001:db8::/32`, or a single address (a /32 or
 * /128). The result is canonical (`2001:DB8:0::/32` → `2001:db8::/32`).
 * @returns the range, or a sentence saying what is wrong with the text
 */
export const parseIpRange = (input: string): IpRange | { problem: string } => {
  const text = input.trim()
  const slash = text.indexOf('/')
  const addressText = slash === -1 ? text : text.slice(0, slash)
  if (MAPPED_V4.test(addressText)) return { problem: `"${text.slice(0, 60)}": write an IPv4-mapped address as plain IPv4 (${addressText.slice(7)})` }
  const address = canonicalAddress(addressText)
  if (!address) return { problem: `"${text.slice(0, 60)}" is not an IP address or a CIDR range such as 203.0.113.0/24 or 2001:db8::/32` }
  const width = WIDTH[address.family]
  const prefixText = slash === -1 ? String(width) : text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > width) return { problem: `"${text.slice(0, 60)}": the prefix length must be a number from 0 to ${width}` }
  const prefix = Number(prefixText)
  const n = toBigInt(address.family, address.address)
  const network = n & maskOf(address.family, prefix)
  if (network !== n) return { problem: `"${text.slice(0, 60)}" has bits set after the prefix: did you mean ${toText(address.family, network)}/${prefix}?` }
  const networkText = toText(address.family, network)
  return { family: address.family, network: networkText, prefix, text: `${networkText}/${prefix}` }
}

/** A matcher over a list of canonical ranges (as stored). Unparseable entries match nothing. */
export const ipMatcher = (ranges: readonly string[]) => {
  const list = new BlockList()
  for (const r of ranges) {
    const parsed = parseIpRange(r)
    if ('problem' in parsed) continue
    list.addSubnet(parsed.network, parsed.prefix, parsed.family)
  }
  /** Whether the address is inside one of the ranges (false for something that is not an address). */
  return (address: string | undefined): boolean => {
    const a = address === undefined ? undefined : canonicalAddress(address)
    return a !== undefined && list.check(a.address, a.family)
  }
}

/**
 * Whether `next` reaches an address `current` does not: a range not inside one range of `current`, or an
 * empty list (anywhere) replacing a non-empty one. A range covered only by two old ones together counts as
 * new (conservative: it then needs the approval a widening needs).
 */
export const widensIpRanges = (current: readonly string[], next: readonly string[]): boolean => {
  if (current.length === 0) return false
  if (next.length === 0) return true
  const old = current.map(parseIpRange).filter((r): r is IpRange => !('problem' in r))
  return next.some((text) => {
    const r = parseIpRange(text)
    if ('problem' in r) return true
    return !old.some((o) => o.family === r.family && o.prefix <= r.prefix && ipMatcher([o.text])(r.network))
  })
}

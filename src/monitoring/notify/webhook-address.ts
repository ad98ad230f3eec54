import { BlockList, isIP } from 'node:net'
import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { AppError } from '../../lib/errors.js'

/**
 * Where an outgoing webhook may go (against SSRF). An alert webhook is a request the server makes on a
 * user's behalf, so without a check a workspace admin could aim it at the cloud metadata service or a
 * database on the internal network. Rules:
 * - `https:` to a public address; `http:` only to loopback/private addresses, and only with
 *   NOTIFY_WEBHOOK_ALLOW_PRIVATE=true (a receiver on the same host or LAN, and tests).
 * - Loopback and private (RFC 1918, CGNAT, unique-local) addresses only with that setting.
 * - Link-local (169.254/16 holds the metadata service), unspecified, multicast and reserved: never.
 * - No credentials in the URL (they would show in views and logs).
 * The host is resolved when the channel is created and again, through `guardedLookup`, on every connection,
 * so a name that later resolves to an internal address (DNS rebinding) is refused at send time as well.
 */

export type AddressClass = 'public' | 'private' | 'forbidden'

const forbidden = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['169.254.0.0', 16],
  ['192.0.0.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  forbidden.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of [
  ['::', 128],
  ['fe80::', 10],
  ['ff00::', 8],
  // NAT64 and 6to4 embed IPv4 addresses we would otherwise have to unwrap: not worth the risk.
  ['64:ff9b::', 96],
  ['2002::', 16],
] as const)
  forbidden.addSubnet(net, prefix, 'ipv6')

const privateNets = new BlockList()
for (const [net, prefix] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['127.0.0.0', 8],
  ['100.64.0.0', 10],
  ['198.18.0.0', 15],
] as const)
  privateNets.addSubnet(net, prefix, 'ipv4')
privateNets.addAddress('::1', 'ipv6')
privateNets.addSubnet('fc00::', 7, 'ipv6')

/** Classifies one IP address (IPv4-mapped IPv6 is judged by its IPv4 part). */
export const classifyAddress = (address: string): AddressClass => {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)
  const ip = mapped?.[1] ?? bare
  const family = isIP(ip)
  if (family === 0) return 'forbidden'
  const type = family === 4 ? 'ipv4' : 'ipv6'
  if (type === 'ipv6' && /^::ffff:/i.test(ip)) return 'forbidden' // mapped, in hex form
  if (forbidden.check(ip, type)) return 'forbidden'
  if (privateNets.check(ip, type)) return 'private'
  return 'public'
}

export type AddressPolicy = { allowPrivate: boolean }

/** Why an address may not be used, or undefined when it may. */
export const refusalFor = (address: string, protocol: string, { allowPrivate }: AddressPolicy): string | undefined => {
  const kind = classifyAddress(address)
  if (kind === 'forbidden') return `${address} is a link-local, reserved or multicast address`
  if (kind === 'private' && !allowPrivate) return `${address} is a loopback or private address (allowed only with NOTIFY_WEBHOOK_ALLOW_PRIVATE=true)`
  if (kind === 'public' && protocol !== 'https:') return 'a webhook to a public address must use https'
  return undefined
}

export type ResolveHost = (host: string) => Promise<string[]>

export const resolveWithDns: ResolveHost = (host) =>
  new Promise((resolve, reject) => dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses.map((a) => a.address)))))

const URL_MAX_CHARS = 2_000

/**
 * Checks a webhook URL as a user typed it; returns the normalized URL.
 * @throws AppError BAD_INPUT with the reason (scheme, credentials, unresolvable or refused address)
 */
export const checkWebhookUrl = async (raw: string, policy: AddressPolicy, resolve: ResolveHost = resolveWithDns): Promise<URL> => {
  if (raw.length > URL_MAX_CHARS) throw new AppError('BAD_INPUT', `the webhook URL is longer than ${URL_MAX_CHARS} characters`)
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new AppError('BAD_INPUT', 'the webhook URL is not a valid URL: use https://host/path')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new AppError('BAD_INPUT', 'the webhook URL must start with https://')
  if (url.username !== '' || url.password !== '') throw new AppError('BAD_INPUT', 'the webhook URL may not carry a user name or password: the signature authenticates Bulwark to the receiver')
  url.hash = ''
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addresses: string[]
  if (isIP(host) !== 0) addresses = [host]
  else {
    try {
      addresses = await resolve(host)
    } catch {
      throw new AppError('BAD_INPUT', `the webhook host "${host}" does not resolve`)
    }
  }
  if (addresses.length === 0) throw new AppError('BAD_INPUT', `the webhook host "${host}" does not resolve`)
  for (const address of addresses) {
    const refusal = refusalFor(address, url.protocol, policy)
    if (refusal) throw new AppError('BAD_INPUT', `the webhook URL was refused: ${refusal}`, { reason: 'WEBHOOK_ADDRESS_REFUSED' })
  }
  return url
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A `lookup` for http(s).request that refuses a connection to an address the policy does not allow, at
 * connection time (Node calls it for host names; IP literals are checked by the caller before connecting).
 */
export const guardedLookup =
  (protocol: string, policy: AddressPolicy) =>
  (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    dnsLookup(hostname, { all: true, verbatim: true, ...(typeof options.family === 'number' ? { family: options.family } : {}) }, (err, addresses) => {
      if (err) return callback(err, [])
      for (const a of addresses) {
        const refusal = refusalFor(a.address, protocol, policy)
        if (refusal) return callback(Object.assign(new Error(`refused: ${refusal}`), { code: 'EADDRREFUSED' }), [])
      }
      if (options.all) return callback(null, addresses)
      const first = addresses[0]
      if (!first) return callback(Object.assign(new Error(`${hostname} does not resolve`), { code: 'ENOTFOUND' }), [])
      return callback(null, first.address, first.family)
    })
  }

import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { isIP } from 'node:net'
import { guardedLookup, refusalFor, type AddressPolicy } from './webhook-address.js'
import { signWebhook } from './webhook-secret.js'

export type WebhookPost = {
  url: string
  secret: string
  deliveryId: string
  /** The exact JSON text sent; the signature covers it byte for byte. */
  body: string
  /** Unix seconds, as sent in `x-bulwark-timestamp`. */
  timestamp: string
}

export type WebhookResult = { ok: boolean; status: number | null; error: string | null }

const ERROR_MAX_CHARS = 300
export const WEBHOOK_TIMEOUT_MS = 5_000

/**
 * POSTs one signed webhook. 2xx is delivered; anything else (3xx included: redirects are never followed, a
 * redirect could lead to an internal address) is a failure to retry. Never throws for network trouble: the
 * result says what happened, in words fit for the delivery log (no URL, no secret, no response body).
 */
export const postWebhook = (post: WebhookPost, policy: AddressPolicy, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<WebhookResult> => {
  let url: URL
  try {
    url = new URL(post.url)
  } catch {
    return Promise.resolve({ ok: false, status: null, error: 'the stored URL is not valid' })
  }
  // Node skips `lookup` for IP literals, so those are checked here; host names are checked at connect time.
  const host = url.hostname.replace(/^\[|\]$/g, '')
  const refusal = isIP(host) !== 0 ? refusalFor(host, url.protocol, policy) : undefined
  if (refusal) return Promise.resolve({ ok: false, status: null, error: `refused: ${refusal}` })
  const request = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined
  if (!request) return Promise.resolve({ ok: false, status: null, error: 'the stored URL has an unsupported scheme' })

  return new Promise<WebhookResult>((resolve) => {
    let isSettled = false
    const settle = (result: WebhookResult) => {
      if (isSettled) return
      isSettled = true
      clearTimeout(timer)
      resolve({ ...result, error: result.error === null ? null : result.error.replace(/\s+/g, ' ').slice(0, ERROR_MAX_CHARS) })
    }
    const req = request(
      url,
      {
        method: 'POST',
        lookup: guardedLookup(url.protocol, policy) as never,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(post.body),
          'user-agent': 'Bulwark-Webhook/1',
          'x-bulwark-timestamp': post.timestamp,
          'x-bulwark-signature': signWebhook(post.secret, post.timestamp, post.body),
          'x-bulwark-delivery': post.deliveryId,
        },
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0
        // The body is not read into anything: the receiver's answer is not ours to store.
        res.resume()
        res.on('end', () => settle(status >= 200 && status < 300 ? { ok: true, status, error: null } : { ok: false, status, error: status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}` }))
        res.on('error', () => settle({ ok: false, status, error: 'the response broke off' }))
      },
    )
    const timer = setTimeout(() => {
      settle({ ok: false, status: null, error: `no answer within ${timeoutMs} ms` })
      req.destroy()
    }, timeoutMs)
    req.on('error', (err: NodeJS.ErrnoException) => settle({ ok: false, status: null, error: describeNetworkError(err) }))
    req.end(post.body)
  })
}

/** An error code and a short message; Node's messages name the host and port, never the path or a secret. */
const describeNetworkError = (err: NodeJS.ErrnoException): string => {
  if (err.code === 'EADDRREFUSED') return err.message
  return err.code ? `${err.code}` : 'network error'
}


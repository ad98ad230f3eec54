import type { VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

/**
 * EXMO left ccxt after 4.5.73; Bulwark runs it on its own venue class (src/exchanges/exmo/). Its
 * facts come from ccxt 4.5.73 and EXMO's docs. EXMO posts every private call, so the operation is
 * the path (/v1.1/order_create) and the policy below is checked like any other.
 */
export const exmo: VenueSpec = {
  catalogue: {
    id: 'exmo',
    name: 'EXMO',
    ccxtId: null,
    implementation: 'bulwark',
    market: 'spot',
    credentials: ['apiKey', 'secret'],
    credentialLabels: { apiKey: 'Public key', secret: 'Secret' },
    permissionCheck: 'none',
    verification: { kind: 'none', reason: "cannot be verified on EXMO: its API has no endpoint that reports a key's permissions or IP binding. Check at EXMO that withdrawals are off." },
    acceptsEd25519: false,
    sandbox: { kind: 'none', switch: null, setSandboxModeSafe: false, url: null, note: 'No sandbox (in ccxt 4.5.73 setSandboxMode broke it silently); test against the emulator.' },
    clientOrderId: {
      venueField: 'client_id',
      maxLength: 15,
      pattern: '^[1-9][0-9]{0,14}$',
      addedPrefix: null,
      note: 'A positive integer, kept below 10^15 so no JSON number parser rounds it (our EXMO class enforces the same).',
    },
    orderRecovery: {
      mode: 'recent-orders-scan',
      via: ['fetchOrder'],
      note: 'EXMO has no lookup by client id; our EXMO class scans open orders, the last 100 cancelled orders and the last 100 trades of the pair for client_id. Older orders are reported as not found.',
    },
    deadManSwitch: null,
    clock: { signsTimestamps: false, adjustForTimeDifference: false, windowSeconds: null, note: 'Signs an increasing nonce in the POST body, not a time.' },
    rateLimit: { ccxtRateLimitMs: 350, costPerMinute: 60_000 / 350, weights: {}, note: 'EXMO allows 180 requests per minute per IP (our class declares rateLimit 350 ms); every call costs 1.' },
    keyGuide: {
      url: 'https://exmo.com/profile/api',
      steps: [
        'Open Profile → Settings → API → Generate API key.',
        'Where EXMO offers permission choices, allow trading and account info only.',
        `Where EXMO offers an IP restriction, ${pasteEgressIps}.`,
        neverTick,
        'Bulwark cannot read the permissions of an EXMO key back, so the connected key is marked "not verifiable".',
      ],
    },
  },
  ccxt: {
    options: {},
    secretEncoding: 'utf8',
    signedBy: { headers: ['key', 'sign'], query: [] },
  },
  policy: {
    allow: [
      { method: 'GET', path: '/v1.1/pair_settings', use: 'public' },
      { method: 'GET', path: '/v1.1/ticker', use: 'public' },
      { method: 'POST', path: '/v1.1/order_create', use: 'trade' },
      { method: 'POST', path: '/v1.1/order_cancel', use: 'trade' },
      { method: 'POST', path: '/v1.1/order_trades', use: 'read' },
      { method: 'POST', path: '/v1.1/user_open_orders', use: 'read' },
      { method: 'POST', path: '/v1.1/user_trades', use: 'read' },
      { method: 'POST', path: '/v1.1/user_cancelled_orders', use: 'read' },
      { method: 'POST', path: '/v1.1/user_info', use: 'read' },
    ],
    deny: {
      paths: [],
      // excode_* makes and redeems bearer vouchers (funds out); margin/* includes margin_remove (finding 6).
      patterns: ['^/v1\\.1/(excode|withdraw|deposit|wallet|margin|transfer|code|payments)'],
    },
  },
}

import type { EndpointRule, VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

/**
 * Bitget spot and Bitget USDT-M futures share ccxt's `bitget` class and one key. `uta: false` is the
 * classic account (v2 endpoints) and skips the GET /api/v3/account/settings probe ccxt otherwise
 * sends before the first order and in loadMarkets (finding 2). Unified accounts are not supported yet.
 */
export const bitgetAccountPreset = { uta: false }

export const bitgetCatalogueShared = {
  ccxtId: 'bitget',
  implementation: 'ccxt',
  credentials: ['apiKey', 'secret', 'password'],
  credentialLabels: { apiKey: 'API Key', secret: 'Secret Key', password: 'Passphrase' },
  permissionCheck: 'bitget-account-info',
  verification: {
    kind: 'endpoint',
    ccxtMethods: ['privateSpotGetV2SpotAccountInfo'],
    method: 'GET',
    path: '/api/v2/spot/account/info',
    reports: { withdraw: true, transfer: true, ipWhitelist: true, expiry: false },
    fields: 'authorities (wwow = wallet withdrawal, wtow/wtor = wallet transfer, stow/coow = trading), ips',
    confidence: 'documented',
  },
  acceptsEd25519: false,
  sandbox: {
    kind: 'demo',
    switch: 'enableDemoTrading',
    setSandboxModeSafe: true,
    url: 'https://api.bitget.com',
    note: 'Demo trading: same host, ccxt adds the header PAPTRADING: 1 to signed requests. Demo keys are created in Bitget\'s demo mode.',
  },
  clientOrderId: {
    venueField: 'clientOid',
    maxLength: 40,
    pattern: '^[A-Za-z0-9_-]{1,40}$',
    addedPrefix: null,
    note: 'Kept to letters, digits, "_" and "-", up to 40 (Bitget does not publish a precise rule). ccxt sends its channel code as a header.',
  },
  clock: { signsTimestamps: true, adjustForTimeDifference: true, windowSeconds: 30, note: 'ACCESS-TIMESTAMP must be within 30 s; offset from GET /api/v2/public/time.' },
} satisfies Partial<VenueSpec['catalogue']>

export const bitgetKeyGuide = (trading: string) => ({
  url: 'https://www.bitget.com/account/newapi',
  steps: [
    'Open Profile → API Key Management → Create API Key → "System-generated API key".',
    'Set a passphrase; you will paste it here with the key and secret.',
    `Permissions: "Read-Write" with ${trading} only. Leave "Wallet" (withdraw, transfer), "Convert" and "Sub-account" unticked.`,
    `Bind IP addresses: ${pasteEgressIps}.`,
    neverTick,
  ],
})

export const bitgetSignedBy = { headers: ['access-key', 'access-sign', 'access-timestamp', 'access-passphrase'], query: [] }

export const bitgetVerify: EndpointRule = { method: 'GET', path: '/api/v2/spot/account/info', use: 'verify', why: "the key's own authorities and bound IPs" }

export const bitgetPublic: EndpointRule[] = [
  { method: 'GET', path: '/api/v2/spot/public/coins', use: 'public' },
  { method: 'GET', path: '/api/v2/public/time', use: 'public' },
]

export const bitgetDeny = {
  paths: [],
  patterns: [
    '^/api/(spot|mix)/v1/trace/',
    '^/api/v2/(copy|convert|earn|broker|p2p|tax|margin/crossed/account/borrow|margin/isolated/account/borrow)',
    '^/api/(user/v1|v2/user|v3/user)/',
    '^/api/v2/spot/wallet/',
    '^/api/v3/account/(sub|transfer|withdraw|move)',
  ],
}

export const bitgetRateNote = "ccxt's cost model for Bitget (most trading endpoints 10 requests per second per UID)."

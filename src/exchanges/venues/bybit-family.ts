import type { EndpointRule, VenueSpec } from '../venue-spec.js'
import { neverTick, pasteEgressIps } from './shared.js'

/**
 * Bybit spot and Bybit linear share ccxt's `bybit` class and one key. Presetting the account type
 * stops ccxt from calling GET /v5/user/query-api and GET /v5/account/info before the first order or
 * balance (isUnifiedEnabled, finding 2): we support Unified Trading Accounts only, which is what
 * Bybit opens today. `acknowledged` lets fetchOrder use /v5/order/realtime (recent orders).
 */
export const bybitAccountPreset = { enableUnifiedAccount: true, enableUnifiedMargin: false, unifiedMarginStatus: 6, fetchOrder: { acknowledged: true } }

export const bybitCatalogueShared = {
  ccxtId: 'bybit',
  implementation: 'ccxt',
  credentials: ['apiKey', 'secret'],
  credentialLabels: { apiKey: 'API Key', secret: 'API Secret' },
  permissionCheck: 'bybit-query-api',
  verification: {
    kind: 'endpoint',
    ccxtMethods: ['privateGetV5UserQueryApi'],
    method: 'GET',
    path: '/v5/user/query-api',
    reports: { withdraw: true, transfer: true, ipWhitelist: true, expiry: true },
    fields: 'readOnly, permissions.Wallet (AccountTransfer, SubMemberTransfer, Withdraw), ips ("*" when unbound), expiredAt, uta',
    confidence: 'documented',
  },
  acceptsEd25519: false,
  sandbox: {
    kind: 'demo',
    switch: 'enableDemoTrading',
    setSandboxModeSafe: true,
    url: 'https://api-demo.bybit.com',
    note: 'Demo trading (api-demo.bybit.com) runs Unified accounts like ours; setSandboxMode routes to api-testnet.bybit.com, which needs a separate testnet account.',
  },
  clientOrderId: {
    venueField: 'orderLinkId',
    maxLength: 36,
    pattern: '^[A-Za-z0-9_-]{1,36}$',
    addedPrefix: null,
    note: 'Letters, digits, "-" and "_", up to 36; unique per account.',
  },
  clock: {
    signsTimestamps: true,
    adjustForTimeDifference: true,
    windowSeconds: 5,
    note: 'X-BAPI-TIMESTAMP must fall within recv_window (ccxt sends 5 s); offset from GET /v5/market/time.',
  },
} satisfies Partial<VenueSpec['catalogue']>

export const bybitKeyGuide = (trading: string) => ({
  url: 'https://www.bybit.com/app/user/api-management',
  steps: [
    'Open Profile → API → Create New Key → "System-generated API Keys" → "API Transaction".',
    `Choose "Read-Write" and tick only ${trading}. Leave everything under "Assets" (Withdrawal, Account Transfer, Subaccount Transfer) and "Exchange"/"Convert" unticked.`,
    `Select "Only IPs with permissions granted are allowed" and ${pasteEgressIps} (keys without IPs expire after three months).`,
    'Bulwark trades Unified Trading Accounts only; upgrade a classic account first.',
    neverTick,
  ],
})

export const bybitSignedBy = { headers: ['x-bapi-api-key', 'x-bapi-sign', 'x-bapi-timestamp'], query: [] }

export const bybitVerify: EndpointRule = {
  method: 'GET',
  path: '/v5/user/query-api',
  use: 'verify',
  why: "the key's own permissions, IPs and expiry; the deny backstop covers the rest of /v5/user/",
}

export const bybitDeny = {
  paths: [],
  patterns: ['^/v5/(asset|user|broker|lending|ins-loan|spot-margin-trade|crypto-loan|earn|affiliate)/', '^/(asset|user)/v\\d/private/', '^/v5/position/move-'],
}

export const bybitRateNote = "ccxt's cost model for Bybit v5 (per-UID limits per endpoint, 600 requests per 5 s per IP)."

export { createKeyRelay, keyAdminHandlers, type KeyRelay, type KeyAdminDeps } from './key-admin.js'
export { createPasskeyTrustSync, type PasskeyTrustSync } from './passkey-trust.js'
export { createExchangeAccounts, type ExchangeAccounts, type ExchangeAccountView } from './exchange-accounts.js'

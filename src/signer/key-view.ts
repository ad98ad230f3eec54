import type { VaultKey } from '../vault/index.js'
import { keyLimits, type KeyView } from './signer-types.js'

/** What the signer tells about a key: ids, hints, states and limits — never key material. */
export const keyViewOf = (k: VaultKey): KeyView => ({
  keyId: k.keyId,
  exchangeAccountId: k.exchangeAccountId,
  exchange: k.exchange,
  state: k.state,
  disabledReason: k.disabledReason,
  apiKeyHint: k.apiKeyHint,
  fingerprint: k.fingerprint.slice(0, 16),
  keyVersion: k.keyVersion,
  verification: k.verification as Record<string, unknown>,
  limits: keyLimits.parse(k.limits),
  isTestnet: k.isTestnet,
})

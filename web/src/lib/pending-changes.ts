import type { ExchangeAccount, WideningOperation } from './exchange-parsers'

/**
 * The account a pending change is about: the one whose signer key the operation names. Found the
 * same way after a reload as right after the request, since both sides carry the signer's key id.
 * undefined for a passkey trust (no key) or a key whose account is gone.
 */
export const accountForOperation = (operation: Pick<WideningOperation, 'keyId'>, accounts: readonly ExchangeAccount[]): ExchangeAccount | undefined =>
  operation.keyId === null ? undefined : accounts.find((account) => account.keyId === operation.keyId)

/** The title of a pending change, naming its account when it is known. */
export const describeOperation = (operation: Pick<WideningOperation, 'kind'>, account: Pick<ExchangeAccount, 'label'> | undefined): string => {
  const name = account === undefined ? 'a key' : `“${account.label}”`
  switch (operation.kind) {
    case 'limits':
      return `Raise the limits of ${name}`
    case 'enable':
      return `Enable ${name}`
    case 'trust_passkey':
      return 'Trust a new passkey for confirming key changes'
    default:
      return `Widen ${name} (${operation.kind})`
  }
}

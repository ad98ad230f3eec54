/**
 * The exchange catalogue (data, not code paths). The key-custody issue ships Binance spot; the exchanges
 * issue fills in the other sixteen venues from ../shared/reference/exchanges.md.
 */
export type CatalogueEntry = {
  id: string
  name: string
  ccxtId: string
  market: 'spot' | 'linear'
  credentials: ReadonlyArray<'apiKey' | 'secret' | 'password'>
  /** How the key's own permissions are read, if the venue reports them. */
  permissionCheck: 'binance-api-restrictions' | 'none'
  acceptsEd25519: boolean
}

export const catalogue: readonly CatalogueEntry[] = [
  { id: 'binance', name: 'Binance', ccxtId: 'binance', market: 'spot', credentials: ['apiKey', 'secret'], permissionCheck: 'binance-api-restrictions', acceptsEd25519: true },
]

export const catalogueEntry = (id: string): CatalogueEntry | undefined => catalogue.find((e) => e.id === id)

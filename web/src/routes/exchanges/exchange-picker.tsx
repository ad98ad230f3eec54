import { isConnectable, type CatalogueEntry } from '../../lib/exchange-parsers'

/** "Spot" or "Futures": what the card says under the exchange's name. */
export const marketWord = (market: string): string => (market === 'linear' ? 'Futures' : market === 'spot' ? 'Spot' : market)

type Props = {
  exchanges: readonly CatalogueEntry[]
  /** The exchange chosen before, marked as such when the person comes back to this step. */
  selectedId: string | undefined
  onChoose: (entry: CatalogueEntry) => void
}

/**
 * Step 1: the exchanges as a grid of cards, each a button named "<exchange>, <market>". What Bulwark
 * can check there (permissions read back, Ed25519 keys) is in the card's description, so a screen
 * reader hears it after the name.
 */
export const ExchangePicker = ({ exchanges, selectedId, onChoose }: Props) => {
  // Spot first, then futures; the catalogue's order within each.
  const connectable = exchanges.filter(isConnectable).sort((a, b) => Number(a.market === 'linear') - Number(b.market === 'linear'))
  if (connectable.length === 0) return <p className="empty">This Bulwark lists no exchange this dashboard can connect. Update Bulwark.</p>
  return (
    <ul className="exchange-grid" aria-label="Exchanges">
      {connectable.map((entry) => {
        const descriptionId = `exchange-card-${entry.id}-facts`
        const isSelected = entry.id === selectedId
        return (
          <li key={entry.id}>
            <button
              type="button"
              className={isSelected ? 'exchange-card exchange-card--selected' : 'exchange-card'}
              aria-label={`${entry.name}, ${marketWord(entry.market).toLowerCase()}`}
              aria-describedby={descriptionId}
              aria-pressed={isSelected}
              onClick={() => onChoose(entry)}
            >
              <span className="exchange-card__name">{entry.name}</span>
              <span className={entry.market === 'linear' ? 'exchange-card__market exchange-card__market--futures' : 'exchange-card__market'}>
                {marketWord(entry.market)}
              </span>
              <span className="exchange-card__facts" id={descriptionId}>
                {entry.canVerify ? 'Permissions checked' : 'Permissions not readable'}
                {entry.acceptsEd25519 ? ' · Ed25519 keys' : ''}
              </span>
            </button>
          </li>
        )
      })}
    </ul>
  )
}

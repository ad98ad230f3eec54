import { TextField } from '../../components/text-field'
import type { FieldErrors } from './form-errors'
import type { Register } from './field-refs'
import { MAX_COOLDOWN_MINUTES, type RiskDraft, type RiskField } from './risk-draft'

type Spec = { label: string; help: string; inputMode: 'decimal' | 'numeric' }

const specs: Readonly<Record<RiskField, Spec>> = {
  maxOrderNotional: { label: 'Largest order', help: 'In the quote currency (amount × price).', inputMode: 'decimal' },
  maxPositionNotional: { label: 'Largest position per symbol', help: 'In the quote currency, after the order.', inputMode: 'decimal' },
  maxOpenOrders: { label: 'Open orders at once', help: '1 to 1000.', inputMode: 'numeric' },
  maxDailyLoss: { label: 'Daily loss that stops it', help: 'Realized and unrealized since 00:00 UTC, in the quote currency.', inputMode: 'decimal' },
  cooldownMinutes: { label: 'Cooldown after a stop loss (minutes)', help: `No new entry this long after a stop loss filled; 0 to ${MAX_COOLDOWN_MINUTES}.`, inputMode: 'numeric' },
  priceBandPercent: { label: 'Price band (%)', help: 'Fat-finger guard: a limit or stop price at most this far from the last price.', inputMode: 'decimal' },
}

type Props = {
  idPrefix: string
  draft: RiskDraft
  errors: FieldErrors
  /** The errors' and refs' names: "risk." inside a bot form, "" on its own. */
  namePrefix: string
  onChange: (patch: Partial<RiskDraft>) => void
  register: Register
}

/** The risk guard's limits; every one optional. The stricter of the account's and the bot's applies. */
export const RiskFields = ({ idPrefix, draft, errors, namePrefix, onChange, register }: Props) => (
  <div className="trading-risk-grid">
    {(Object.keys(specs) as RiskField[]).map((field) => (
      <TextField
        key={field}
        id={`${idPrefix}-risk-${field}`}
        ref={register(`${namePrefix}${field}`)}
        label={specs[field].label}
        help={specs[field].help}
        inputMode={specs[field].inputMode}
        autoComplete="off"
        className="field__input--short"
        value={draft[field]}
        error={errors[`${namePrefix}${field}`]}
        onChange={(event) => onChange({ [field]: event.target.value })}
      />
    ))}
  </div>
)

/** Whether a bot form's risk field ("risk.…") has an error, to open the collapsed section that holds it. */
export const hasRiskError = (errors: FieldErrors): boolean => Object.keys(errors).some((key) => key.startsWith('risk.'))

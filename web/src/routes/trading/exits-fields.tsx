import { SelectField } from '../../components/select-field'
import { TextField } from '../../components/text-field'
import type { FieldErrors } from './form-errors'
import type { Register } from './field-refs'
import { MAX_TARGETS, MAX_TIMEOUT_MINUTES, emptyTarget, sharesTotal, type ExitsDraft, type StopMode, type TargetDraft } from './smart-trade-draft'

type Props = {
  idPrefix: string
  draft: ExitsDraft
  errors: FieldErrors
  onChange: (patch: Partial<ExitsDraft>) => void
  register: Register
}

const stopModes: Readonly<Record<StopMode, string>> = { none: 'No fixed stop', price: 'At a price', percent: 'A percentage from the entry' }

/** How far the shares are from 100 %, said as they are typed (the schema decides on submit). */
const sharesHint = (targets: readonly TargetDraft[]): string => {
  const total = Math.round(sharesTotal(targets) * 10_000) / 10_000
  return total === 100 ? 'The shares add up to 100 %.' : `The shares add up to ${total} %; they must add up to 100 %.`
}

/**
 * Take-profit targets (up to 5, each at a price or a percentage from the entry, with a share of the
 * position), trailing take profit, stop loss (price or %, trailing, breakeven) and timeout. Shared by
 * the create form and the edit form of a running trade.
 */
export const ExitsFields = ({ idPrefix, draft, errors, onChange, register }: Props) => {
  const setTarget = (index: number, patch: Partial<TargetDraft>) =>
    onChange({ targets: draft.targets.map((target, at) => (at === index ? { ...target, ...patch } : target)) })

  return (
    <>
      <fieldset className="trading-fieldset">
        <legend className="field__label">Take profit</legend>
        {draft.targets.length === 0 ? <p className="field__help">No targets: the trade closes by its stop, its timeout or by hand.</p> : null}
        <ol className="trading-targets">
          {draft.targets.map((target, index) => (
            <li key={index} className="trading-target">
              <SelectField
                id={`${idPrefix}-target-${index}-mode`}
                label={`Target ${index + 1}`}
                value={target.mode}
                onChange={(event) => setTarget(index, { mode: event.target.value === 'price' ? 'price' : 'percent' })}
              >
                <option value="percent">% from the entry</option>
                <option value="price">At a price</option>
              </SelectField>
              <TextField
                id={`${idPrefix}-target-${index}-value`}
                ref={register(`target.${index}.value`)}
                label={target.mode === 'price' ? 'Price' : 'Percent'}
                inputMode="decimal"
                autoComplete="off"
                className="field__input--short"
                value={target.value}
                error={errors[`target.${index}.value`]}
                onChange={(event) => setTarget(index, { value: event.target.value })}
              />
              <TextField
                id={`${idPrefix}-target-${index}-share`}
                ref={register(`target.${index}.share`)}
                label="Share (%)"
                inputMode="decimal"
                autoComplete="off"
                className="field__input--short"
                value={target.share}
                error={errors[`target.${index}.share`]}
                onChange={(event) => setTarget(index, { share: event.target.value })}
              />
              <button
                type="button"
                className="button button--secondary button--small trading-target__remove"
                aria-label={`Remove target ${index + 1}`}
                onClick={() => onChange({ targets: draft.targets.filter((_, at) => at !== index) })}
              >
                Remove
              </button>
            </li>
          ))}
        </ol>
        {draft.targets.length === 0 ? null : (
          <p className="field__help" aria-live="polite">
            {sharesHint(draft.targets)}
          </p>
        )}
        {errors.targets === undefined ? null : (
          <p className="field__error" id={`${idPrefix}-targets-error`} ref={register('targets')} tabIndex={-1}>
            {errors.targets}
          </p>
        )}
        {draft.targets.length < MAX_TARGETS ? (
          <div className="form__actions">
            <button type="button" className="button button--secondary button--small" onClick={() => onChange({ targets: [...draft.targets, emptyTarget()] })}>
              Add a target
            </button>
          </div>
        ) : null}
        <TextField
          id={`${idPrefix}-tp-trailing`}
          ref={register('takeProfitTrailing')}
          label="Trailing take profit (%)"
          help="Optional. After the last target is reached, follow the price and close when it falls back this far."
          inputMode="decimal"
          autoComplete="off"
          className="field__input--short"
          value={draft.takeProfitTrailing}
          error={errors.takeProfitTrailing}
          onChange={(event) => onChange({ takeProfitTrailing: event.target.value })}
        />
      </fieldset>
      <fieldset className="trading-fieldset">
        <legend className="field__label">Stop loss</legend>
        <SelectField id={`${idPrefix}-stop-mode`} label="Stop" value={draft.stopMode} onChange={(event) => onChange({ stopMode: event.target.value as StopMode })}>
          {(Object.keys(stopModes) as StopMode[]).map((mode) => (
            <option key={mode} value={mode}>
              {stopModes[mode]}
            </option>
          ))}
        </SelectField>
        {draft.stopMode === 'none' ? null : (
          <TextField
            id={`${idPrefix}-stop-value`}
            ref={register('stopValue')}
            label={draft.stopMode === 'price' ? 'Stop price' : 'Stop distance (%)'}
            inputMode="decimal"
            autoComplete="off"
            className="field__input--short"
            value={draft.stopValue}
            error={errors.stopValue}
            onChange={(event) => onChange({ stopValue: event.target.value })}
          />
        )}
        {draft.stopMode === 'none' && errors.stopValue !== undefined ? (
          <p className="field__error" ref={register('stopValue')} tabIndex={-1}>
            {errors.stopValue}
          </p>
        ) : null}
        <TextField
          id={`${idPrefix}-stop-trailing`}
          ref={register('stopTrailing')}
          label="Trailing stop (%)"
          help="Optional. Follows the best price at this distance, only ever in the trade's favour."
          inputMode="decimal"
          autoComplete="off"
          className="field__input--short"
          value={draft.stopTrailing}
          error={errors.stopTrailing}
          onChange={(event) => onChange({ stopTrailing: event.target.value })}
        />
        <div className="checkbox">
          <input
            id={`${idPrefix}-breakeven`}
            type="checkbox"
            checked={draft.breakeven}
            aria-describedby={`${idPrefix}-breakeven-help`}
            onChange={(event) => onChange({ breakeven: event.target.checked })}
          />
          <label htmlFor={`${idPrefix}-breakeven`}>Move the stop to breakeven after the first target</label>
        </div>
        <p className="field__help" id={`${idPrefix}-breakeven-help`}>
          Once target 1 has filled, the stop moves to the entry price: the rest of the trade cannot lose.
        </p>
      </fieldset>
      <TextField
        id={`${idPrefix}-timeout`}
        ref={register('timeoutMinutes')}
        label="Timeout (minutes)"
        help={`Optional, 1 to ${MAX_TIMEOUT_MINUTES}. Closes at market this long after the entry filled, or cancels an entry still waiting.`}
        inputMode="numeric"
        autoComplete="off"
        className="field__input--short"
        value={draft.timeoutMinutes}
        error={errors.timeoutMinutes}
        onChange={(event) => onChange({ timeoutMinutes: event.target.value })}
      />
    </>
  )
}

import { SelectField } from '../../components/select-field'
import { TextAreaField } from '../../components/text-area-field'
import { TextField } from '../../components/text-field'
import { tradingViewSenderIps } from '../../api/trading/schemas'
import type { Register } from './field-refs'
import type { FieldErrors } from './form-errors'
import { indicatorSpecs, indicatorTypes, timeframes, type IndicatorType, type SignalBotDraft, type Timeframe } from './signal-bot-draft'

type Props = {
  idPrefix: string
  draft: SignalBotDraft
  errors: FieldErrors
  onChange: (patch: Partial<SignalBotDraft>) => void
  register: Register
}

/** Where a Signal Bot's signals come from: a TradingView-style webhook, or an indicator on candles. */
export const SourceFields = ({ idPrefix, draft, errors, onChange, register }: Props) => (
  <>
    <fieldset className="choices">
      <legend className="field__label">Signals come from</legend>
      <label className="choice">
        <input
          type="radio"
          name={`${idPrefix}-source`}
          value="webhook"
          ref={register('sourceKind')}
          checked={draft.sourceKind === 'webhook'}
          onChange={() => onChange({ sourceKind: 'webhook' })}
        />
        A webhook (TradingView alerts or your own sender)
      </label>
      <label className="choice">
        <input type="radio" name={`${idPrefix}-source`} value="indicator" checked={draft.sourceKind === 'indicator'} onChange={() => onChange({ sourceKind: 'indicator' })} />
        A built-in indicator
      </label>
      {errors.sourceKind === undefined ? null : <span className="field__error">{errors.sourceKind}</span>}
    </fieldset>
    {draft.sourceKind === 'webhook' ? <WebhookFields idPrefix={idPrefix} draft={draft} errors={errors} onChange={onChange} register={register} /> : null}
    {draft.sourceKind === 'indicator' ? <IndicatorFields idPrefix={idPrefix} draft={draft} errors={errors} onChange={onChange} register={register} /> : null}
  </>
)

const WebhookFields = ({ idPrefix, draft, errors, onChange, register }: Props) => (
  <fieldset className="trading-fieldset">
    <legend className="field__label">Webhook</legend>
    <p className="field__help">The URL, its secret and a ready-to-paste TradingView message are shown once the bot is created. The secret travels in the JSON body, never in the URL.</p>
    <div className="checkbox">
      <input
        id={`${idPrefix}-tv-preset`}
        type="checkbox"
        checked={draft.tradingViewPreset}
        aria-describedby={`${idPrefix}-tv-preset-help`}
        onChange={(event) => onChange({ tradingViewPreset: event.target.checked })}
      />
      <label htmlFor={`${idPrefix}-tv-preset`}>Accept TradingView's senders</label>
    </div>
    <p className="field__help" id={`${idPrefix}-tv-preset-help`}>
      TradingView's published webhook addresses: {tradingViewSenderIps.join(', ')}.
    </p>
    <TextAreaField
      id={`${idPrefix}-allow-ips`}
      ref={register('allowIps')}
      label="Other allowed senders"
      help="IP addresses or CIDR ranges, one per line. With none here and TradingView's unticked, any address may send (the secret still has to match)."
      rows={2}
      spellCheck={false}
      className="field__input--mono"
      value={draft.allowIps}
      error={errors.allowIps}
      onChange={(event) => onChange({ allowIps: event.target.value })}
    />
    <div className="trading-row">
      <TextField
        id={`${idPrefix}-max-lag`}
        ref={register('maxLagSeconds')}
        label="Maximum lag (seconds)"
        help="A signal stamped further from now is refused; 5 to 3600."
        inputMode="numeric"
        autoComplete="off"
        className="field__input--short"
        value={draft.maxLagSeconds}
        error={errors.maxLagSeconds}
        onChange={(event) => onChange({ maxLagSeconds: event.target.value })}
      />
      <TextField
        id={`${idPrefix}-rate`}
        ref={register('ratePerMinute')}
        label="Signals per minute"
        help="More are refused; 1 to 600."
        inputMode="numeric"
        autoComplete="off"
        className="field__input--short"
        value={draft.ratePerMinute}
        error={errors.ratePerMinute}
        onChange={(event) => onChange({ ratePerMinute: event.target.value })}
      />
    </div>
    <div className="checkbox">
      <input
        id={`${idPrefix}-require-signature`}
        type="checkbox"
        checked={draft.requireSignature}
        aria-describedby={`${idPrefix}-require-signature-help`}
        onChange={(event) => onChange({ requireSignature: event.target.checked })}
      />
      <label htmlFor={`${idPrefix}-require-signature`}>Require an HMAC signature</label>
    </div>
    <p className="field__help" id={`${idPrefix}-require-signature-help`}>
      For senders that can sign each request (TradingView cannot): unsigned signals are refused.
    </p>
  </fieldset>
)

const IndicatorFields = ({ idPrefix, draft, errors, onChange, register }: Props) => {
  const spec = indicatorSpecs[draft.indicator]
  return (
    <fieldset className="trading-fieldset">
      <legend className="field__label">Indicator</legend>
      <div className="trading-row">
        <SelectField
          id={`${idPrefix}-indicator`}
          ref={register('indicator')}
          label="Indicator"
          value={draft.indicator}
          error={errors.indicator}
          help={spec.help}
          onChange={(event) => onChange({ indicator: event.target.value as IndicatorType })}
        >
          {indicatorTypes.map((type) => (
            <option key={type} value={type}>
              {indicatorSpecs[type].label}
            </option>
          ))}
        </SelectField>
        <SelectField
          id={`${idPrefix}-timeframe`}
          ref={register('timeframe')}
          label="Candles"
          value={draft.timeframe}
          error={errors.timeframe}
          onChange={(event) => onChange({ timeframe: event.target.value as Timeframe })}
        >
          {timeframes.map((timeframe) => (
            <option key={timeframe} value={timeframe}>
              {timeframe}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="trading-row">
        {spec.params.map((param) => (
          <TextField
            key={`${draft.indicator}-${param.key}`}
            id={`${idPrefix}-param-${param.key}`}
            ref={register(`param.${param.key}`)}
            label={param.label}
            inputMode="decimal"
            autoComplete="off"
            className="field__input--short"
            value={draft.params[draft.indicator][param.key] ?? ''}
            error={errors[`param.${param.key}`]}
            onChange={(event) => onChange({ params: { ...draft.params, [draft.indicator]: { ...draft.params[draft.indicator], [param.key]: event.target.value } } })}
          />
        ))}
      </div>
    </fieldset>
  )
}

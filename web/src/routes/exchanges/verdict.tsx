import type { ReactNode, Ref } from 'react'
import { StatusBadge } from '../../components/status-badge'
import { asSentence } from '../../lib/account-format'
import type { ExchangeAccount } from '../../lib/exchange-parsers'
import { verdictChecks, verdictOutcome, type Refusal, type VerdictCheck } from '../../lib/exchange-verdict'

/** The checks as big plain badges: words and an icon, never colour alone. */
export const VerdictBadges = ({ checks, label }: { checks: readonly VerdictCheck[]; label: string }) => (
  <ul className="verdict__badges" aria-label={label}>
    {checks.map((check) => (
      <li key={check.id} className="verdict__badge">
        <StatusBadge tone={check.tone} label={check.label} />
      </li>
    ))}
  </ul>
)

const outcomeTitle = { ready: 'Connected', attention: 'Connected, with something to fix', unverified: 'Stored, but not verified' } as const

type VerdictProps = {
  account: ExchangeAccount
  exchangeName: string
  now: Date
  headingId: string
  headingRef?: Ref<HTMLHeadingElement>
  onAnother: () => void
}

/**
 * Step 4: what the signer's check at the exchange found, as the server reported it. The badges are the
 * four facts; a check that is not fine says what to change, at the exchange, in its own words.
 */
export const ConnectVerdict = ({ account, exchangeName, now, headingId, headingRef, onAnother }: VerdictProps) => {
  const checks = verdictChecks(account.verification, exchangeName, now)
  const outcome = verdictOutcome(account.verification, checks)
  const fixes = checks.filter((check) => check.fix !== undefined)
  return (
    <div className={`verdict verdict--${outcome}`}>
      <h4 id={headingId} className="verdict__title" tabIndex={-1} ref={headingRef}>
        <span className="visually-hidden">Step 4 of 4: </span>
        {outcomeTitle[outcome]}: “{account.label}” on {exchangeName}
      </h4>
      <VerdictBadges checks={checks} label={`Verdict for ${account.label}`} />
      {outcome === 'ready' ? (
        <p>
          {exchangeName} confirmed the key can trade and cannot withdraw. It is stored sealed in the signer and listed under Exchange accounts with key{' '}
          <code>{account.apiKeyHint}</code>.
        </p>
      ) : outcome === 'unverified' ? (
        <p>
          {asSentence(account.verification.note ?? `${exchangeName} could not be asked about the key`).replace(/\.?$/, '.')} The key cannot trade until it is
          verified: select Verify now on its row once {exchangeName} answers.
        </p>
      ) : (
        <p>The key is stored sealed in the signer. It works, but fix this at {exchangeName}:</p>
      )}
      {fixes.length === 0 || outcome === 'unverified' ? null : (
        <ul className="verdict__fixes">
          {fixes.map((check) => (
            <li key={check.id}>
              <strong>{check.label}:</strong> {check.fix}
            </li>
          ))}
        </ul>
      )}
      <div className="form__actions">
        <button type="button" className="button button--secondary" onClick={onAnother}>
          Connect another key
        </button>
      </div>
    </div>
  )
}

type RefusalProps = {
  refusal: Refusal
  exchangeName: string
  ref?: Ref<HTMLDivElement>
  /** What to do on this page once the key is fixed. */
  next: ReactNode
}

/**
 * A key the signer refused, next to the form that sent it: which check failed, the fix at the
 * exchange, that nothing was stored, and what to do here next.
 */
export const RefusalPanel = ({ refusal, exchangeName, ref, next }: RefusalProps) => (
  <div className="verdict verdict--refused" role="alert" tabIndex={-1} ref={ref}>
    <p className="verdict__title">Refused: {exchangeName} reports this key as unsafe. Nothing was stored.</p>
    <VerdictBadges checks={[refusal.check]} label="Failed check" />
    <p>
      <strong>Fix:</strong> {refusal.fix}
    </p>
    <p className="hint">{next}</p>
  </div>
)

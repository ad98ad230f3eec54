import { useEffect, useRef, useState } from 'react'
import { ApprovalWaiting } from '../../components/approval-waiting'
import { Link } from '../../components/link'
import { Notice } from '../../components/notice'
import { defaultConnectMethod, type ConnectMethod } from '../../lib/exchange-keypair'
import type { Catalogue, CatalogueEntry, ExchangeAccount } from '../../lib/exchange-parsers'
import { routePaths } from '../../lib/router'
import { useMe } from '../../lib/session-context'
import type { Approval } from '../../lib/team-parsers'
import type { SignerKey } from '../../lib/use-signer-key'
import { ConnectForm } from './connect-form'
import { ExchangeGuide } from './exchange-guide'
import { ExchangePicker, marketWord } from './exchange-picker'
import { ConnectVerdict } from './verdict'

type Step = 1 | 2 | 3 | 4

const stepNames: Readonly<Record<Step, string>> = { 1: 'Choose exchange', 2: 'Create a restricted key', 3: 'Paste and seal', 4: 'Verdict' }
const steps: readonly Step[] = [1, 2, 3, 4]

type Props = {
  workspaceId: string
  catalogue: Catalogue
  signer: SignerKey
  /** After every change to the list: a key connected, or a key pair generated that waits for its API key. */
  onChanged: () => void
}

/**
 * The four steps of connecting a key, one shown at a time under a stepper: choose the exchange, create
 * a restricted key there (what to tick, the addresses to whitelist), paste it and seal it in this
 * browser (or let the signer generate an Ed25519 key), and the verdict of the signer's check. Earlier
 * steps stay reachable from the stepper; moving to a step puts focus on its heading.
 */
export const ConnectFlow = ({ workspaceId, catalogue, signer, onChanged }: Props) => {
  const me = useMe()
  const [step, setStep] = useState<Step>(1)
  const [entry, setEntry] = useState<CatalogueEntry | undefined>(undefined)
  const [method, setMethod] = useState<ConnectMethod>('paste')
  const [connected, setConnected] = useState<ExchangeAccount | undefined>(undefined)
  // Four-eyes (R42): the key was verified and stored, and waits for a second owner or admin.
  const [awaitingApproval, setAwaitingApproval] = useState<Approval | undefined>(undefined)
  const [waiting, setWaiting] = useState<string | undefined>(undefined)
  const headingRef = useRef<HTMLHeadingElement>(null)
  const hasMoved = useRef(false)
  const hasSecondFactor = me.security.totp || me.security.passkeys > 0

  // Focus follows the step, but not on the first render: the page did not ask for it then.
  useEffect(() => {
    if (hasMoved.current) headingRef.current?.focus()
  }, [step])

  const goTo = (next: Step) => {
    hasMoved.current = true
    setStep(next)
  }

  const choose = (chosen: CatalogueEntry) => {
    if (chosen.id !== entry?.id) setMethod(defaultConnectMethod(chosen))
    setEntry(chosen)
    setWaiting(undefined)
    goTo(2)
  }

  const restart = () => {
    setConnected(undefined)
    setAwaitingApproval(undefined)
    setEntry(undefined)
    goTo(1)
  }

  /** A step can be revisited once the ones before it are done; the verdict only by connecting. */
  const isReachable = (target: Step) => target < step && step !== 4 && (target === 1 || entry !== undefined)

  const heading = (text: string) => (
    <h4 id="connect-step-title" className="connect-step__title" tabIndex={-1} ref={headingRef}>
      <span className="visually-hidden">Step {step} of 4: </span>
      {text}
    </h4>
  )

  return (
    <div className="connect-flow">
      {me.user.emailVerified ? null : (
        <Notice tone="warning">
          <p>Verify your email address first: Bulwark accepts exchange keys only from accounts with a verified address.</p>
        </Notice>
      )}
      {hasSecondFactor ? null : (
        <Notice tone="warning">
          <p>
            Turn on two-factor sign-in before connecting a key: <Link to={routePaths.security}>add an authenticator app or a passkey under Security</Link>.
          </p>
        </Notice>
      )}
      <ol className="stepper" aria-label="Connecting a key">
        {steps.map((item) => {
          const state = item === step ? 'current' : item < step ? 'done' : 'todo'
          const content = (
            <>
              <span className="stepper__number" aria-hidden="true">
                {state === 'done' ? '✓' : item}
              </span>
              <span className="stepper__name">{stepNames[item]}</span>
            </>
          )
          return (
            <li key={item} className={`stepper__step stepper__step--${state}`} aria-current={state === 'current' ? 'step' : undefined}>
              {isReachable(item) ? (
                <button type="button" className="stepper__button" onClick={() => goTo(item)}>
                  {content}
                  <span className="visually-hidden"> (done, go back)</span>
                </button>
              ) : (
                <span className="stepper__label">{content}</span>
              )}
            </li>
          )
        })}
      </ol>
      {waiting === undefined ? null : (
        <Notice tone="info">
          <p>“{waiting}” waits for its API key. When you have it, use Finish connecting on its row above: the public key is shown there again.</p>
        </Notice>
      )}

      <section className="connect-step" aria-labelledby="connect-step-title">
        {step === 1 || entry === undefined ? (
          <>
            {heading('Choose the exchange')}
            <p className="card__intro">Pick where the account is. Each exchange takes its own key; connect several for several accounts.</p>
            <ExchangePicker exchanges={catalogue.exchanges} selectedId={entry?.id} onChoose={choose} />
          </>
        ) : step === 2 ? (
          <>
            {heading(`Create a restricted key at ${entry.name}`)}
            <p className="card__intro">
              {entry.name} ({marketWord(entry.market).toLowerCase()}): a key that can read and trade, never withdraw, and only from Bulwark's addresses.
            </p>
            <ExchangeGuide entry={entry} egressIps={catalogue.egressIps} />
            <div className="form__actions">
              <button type="button" className="button button--primary" onClick={() => goTo(3)}>
                {/* With an Ed25519 key, Bulwark's public key comes first (step 3), then the key at the exchange. */}
                {entry.acceptsEd25519 ? 'Next: generate or paste the key' : 'I have created the key'}
              </button>
              <button type="button" className="button button--secondary" onClick={() => goTo(1)}>
                Choose another exchange
              </button>
            </div>
          </>
        ) : step === 3 ? (
          <>
            {heading(method === 'generate' && entry.acceptsEd25519 ? `Register Bulwark's key at ${entry.name}` : `Paste and seal the ${entry.name} key`)}
            <ConnectForm
              workspaceId={workspaceId}
              entry={entry}
              egressIps={catalogue.egressIps}
              signer={signer}
              method={method}
              onMethodChange={setMethod}
              onChanged={onChanged}
              onConnected={(account) => {
                setConnected(account)
                setAwaitingApproval(undefined)
                goTo(4)
              }}
              onWaiting={(approval) => {
                setConnected(undefined)
                setAwaitingApproval(approval)
                goTo(4)
              }}
              onLater={(account) => {
                setWaiting(account.label)
                setEntry(undefined)
                goTo(1)
              }}
              onShowGuide={() => goTo(2)}
            />
          </>
        ) : awaitingApproval !== undefined ? (
          <>
            {heading(`Verified at ${entry.name}, waiting for approval`)}
            <p className="card__intro">
              The signer checked the key at {entry.name} and stored it, but it cannot be used until a second owner or admin approves it. If nobody approves it
              within 24 hours, or someone rejects it, the signer destroys its copy.
            </p>
            <ApprovalWaiting approval={awaitingApproval} />
            <div className="form__actions form__actions--spaced">
              <button type="button" className="button button--secondary" onClick={restart}>
                Connect another key
              </button>
            </div>
          </>
        ) : connected === undefined ? null : (
          <ConnectVerdict account={connected} exchangeName={entry.name} now={new Date()} headingId="connect-step-title" headingRef={headingRef} onAnother={restart} />
        )}
      </section>
    </div>
  )
}

import { useId, useState } from 'react'
import { rotateWebhookSecret } from '../../api/trading/mutations'
import { fetchWebhook, type WebhookInfo } from '../../api/trading/queries'
import { ActionError } from '../../components/action-error'
import { ConfirmAction } from '../../components/confirm-action'
import { CopyButton } from '../../components/copy-button'
import { Notice } from '../../components/notice'
import { TextAreaField } from '../../components/text-area-field'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'

const MASK = '••••••••••••••••'

/** The message as shown before "Reveal": the secret in it masked (copying still copies the real one). */
export const maskSecret = (text: string, secret: string): string => (secret === '' ? text : text.split(secret).join(MASK))

type Props = {
  workspaceId: string
  botId: string
  /** The webhook as the create answer carried it, shown without asking again. */
  initial: WebhookInfo | undefined
  canManage: boolean
}

/**
 * Where a webhook bot's signals go: the URL, the secret (masked until revealed), the TradingView alert
 * message ready to paste (it carries the secret, so it is masked too), and how to sign for senders that
 * can. Reading them and rotating the secret need step-up; the create answer shows them once without.
 */
export const WebhookPanel = ({ workspaceId, botId, initial, canManage }: Props) => {
  const { client } = useAppSession()
  const [info, setInfo] = useState<WebhookInfo | undefined>(initial)
  const [isRevealed, setIsRevealed] = useState(false)
  const [isRotated, setIsRotated] = useState(false)
  const load = useAction()
  const rotate = useAction()
  const idPrefix = useId()

  if (info === undefined) {
    return (
      <div className="stack">
        <p>The webhook URL, its secret and the TradingView message are shown after you confirm it's you.</p>
        <ActionError action={load} />
        <div className="form__actions">
          <button type="button" className="button button--secondary" disabled={load.isBusy} onClick={() => void load.run(async () => setInfo(await fetchWebhook(client, workspaceId, botId)))}>
            {load.isBusy ? 'Loading…' : 'Show the webhook details'}
          </button>
        </div>
      </div>
    )
  }

  const shownMessage = isRevealed ? info.tradingViewMessage : maskSecret(info.tradingViewMessage, info.secret)
  return (
    <div className="stack trading-webhook">
      {isRotated ? (
        <Notice tone="warning">
          <p>New secret. Signals with the old one are refused from now on: paste the new message into your TradingView alerts.</p>
        </Notice>
      ) : null}
      <dl className="facts">
        <div className="facts__row">
          <dt>Webhook URL</dt>
          <dd className="trading-secret-line">
            <code className="trading-code">{info.url}</code>
            <CopyButton text={info.url} label="Copy URL" className="button button--secondary button--small" />
          </dd>
        </div>
        <div className="facts__row">
          <dt>Secret</dt>
          <dd className="trading-secret-line">
            <code className="trading-code">
              {isRevealed ? (
                info.secret
              ) : (
                <>
                  <span aria-hidden="true">{MASK}</span>
                  <span className="visually-hidden">hidden</span>
                </>
              )}
            </code>
            <button type="button" className="button button--secondary button--small" aria-pressed={isRevealed} onClick={() => setIsRevealed(!isRevealed)}>
              {isRevealed ? 'Hide' : 'Reveal'}
            </button>
            <CopyButton text={info.secret} label="Copy secret" className="button button--secondary button--small" />
          </dd>
        </div>
      </dl>
      <TextAreaField
        id={`${idPrefix}-message`}
        label="TradingView alert message"
        help="Paste it into the alert's Message box and the URL into its Webhook URL. TradingView fills in the {{placeholders}}; set the action to enter_long, exit_long, enter_short, exit_short or close_all."
        readOnly
        rows={8}
        spellCheck={false}
        className="field__input--mono"
        value={shownMessage}
      />
      <div className="form__actions">
        <CopyButton text={info.tradingViewMessage} label="Copy the message" />
      </div>
      <h4 className="subsection__title">For senders that can sign</h4>
      <dl className="details">
        <div className="details__row">
          <dt>Timestamp header</dt>
          <dd>
            <code className="trading-code">{info.signature.timestampHeader}</code>
          </dd>
        </div>
        <div className="details__row">
          <dt>Signature header</dt>
          <dd>
            <code className="trading-code">{info.signature.signatureHeader}</code>
          </dd>
        </div>
        <div className="details__row">
          <dt>Scheme</dt>
          <dd>{info.signature.scheme}</dd>
        </div>
      </dl>
      {canManage ? (
        <div className="stack trading-start">
          <ConfirmAction
            label="Rotate the secret"
            question="Make a new secret? Alerts still sending the old one are refused from then on."
            confirmLabel="Yes, rotate it"
            isBusy={rotate.isBusy}
            onConfirm={() =>
              void rotate.run(async () => {
                setInfo(await rotateWebhookSecret(client, workspaceId, botId))
                setIsRevealed(false)
                setIsRotated(true)
              })
            }
          />
          <ActionError action={rotate} />
        </div>
      ) : null}
    </div>
  )
}

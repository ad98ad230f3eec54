import type { Ref } from 'react'
import { asSentence, errorReasonText } from '../lib/account-format'
import type { ApiError } from '../lib/api'

type Props = {
  error: ApiError
  /** Lets a form move focus here after a failed submit. */
  ref?: Ref<HTMLDivElement>
  /** The error is shown on this field of the form: the notice points there instead of repeating it. */
  fieldLabel?: string
}

/** Server messages are clauses ("the email or the password is wrong"): capitalised and closed, they read as sentences. */
const fullSentence = (text: string): string => {
  const sentence = asSentence(text)
  return sentence === '' || /[.!?…]$/.test(sentence) ? sentence : `${sentence}.`
}

/** An API error as the sentence the server (or client) wrote, its reason, and the request id for the log. */
export const ErrorNotice = ({ error, ref, fieldLabel }: Props) => {
  const reason = fieldLabel === undefined ? errorReasonText(error.code, error.reason) : undefined
  return (
    <div className="notice notice--error" role="alert" tabIndex={-1} ref={ref}>
      <p className="notice__message">{fieldLabel === undefined ? fullSentence(error.message) : `Check “${fieldLabel}”: the problem is shown under it.`}</p>
      {reason === undefined ? null : <p className="notice__detail">{reason}</p>}
      {error.requestId === undefined ? null : (
        <p className="notice__reference">
          Reference: <code>{error.requestId}</code>
        </p>
      )}
    </div>
  )
}

import type { Ref } from 'react'
import { asSentence, errorReasonText } from '../lib/account-format'
import type { ApiError } from '../lib/api'

type Props = {
  error: ApiError
  /** Lets a form move focus here after a failed submit. */
  ref?: Ref<HTMLDivElement>
}

/** An API error as the sentence the server (or client) wrote, its reason, and the request id for the log. */
export const ErrorNotice = ({ error, ref }: Props) => {
  const reason = errorReasonText(error.code, error.reason)
  return (
    <div className="notice notice--error" role="alert" tabIndex={-1} ref={ref}>
      <p className="notice__message">{asSentence(error.message)}</p>
      {reason === undefined ? null : <p className="notice__detail">{reason}</p>}
      {error.requestId === undefined ? null : (
        <p className="notice__reference">
          Reference: <code>{error.requestId}</code>
        </p>
      )}
    </div>
  )
}

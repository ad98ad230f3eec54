import type { Ref } from 'react'
import type { ApiError } from '../lib/api'

type Props = {
  error: ApiError
  /** Lets a form move focus here after a failed submit. */
  ref?: Ref<HTMLDivElement>
}

/** An API error as the sentence the server (or client) wrote, with the request id for the log. */
export const ErrorNotice = ({ error, ref }: Props) => (
  <div className="notice notice--error" role="alert" tabIndex={-1} ref={ref}>
    <p className="notice__message">{error.message}</p>
    {error.requestId === undefined ? null : (
      <p className="notice__reference">
        Reference: <code>{error.requestId}</code>
      </p>
    )}
  </div>
)

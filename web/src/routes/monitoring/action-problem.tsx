import { asSentence } from '../../lib/account-format'
import type { Action } from '../../lib/use-action'
import { monitoringErrorHint } from '../../lib/monitoring-format'

type Props = { action: Pick<Action, 'error' | 'errorRef'>; kind: Parameters<typeof monitoringErrorHint>[1] }

/**
 * The error of one action, beside its button: the server's sentence, then what to do next on this page
 * (lib/monitoring-format.ts), then the request id for the log. Takes focus when it appears (useAction).
 */
export const ActionProblem = ({ action, kind }: Props) => {
  const { error } = action
  if (error === undefined) return null
  const hint = monitoringErrorHint(error, kind)
  return (
    <div className="notice notice--error" role="alert" tabIndex={-1} ref={action.errorRef}>
      <p className="notice__message">{asSentence(error.message)}</p>
      {hint === undefined ? null : <p className="notice__detail">{hint}</p>}
      {error.requestId === undefined ? null : (
        <p className="notice__reference">
          Reference: <code>{error.requestId}</code>
        </p>
      )}
    </div>
  )
}

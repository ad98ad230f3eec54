import type { Action } from '../lib/use-action'
import { ErrorNotice } from './error-notice'

/** The error of a `useAction`, if any, in the place that takes focus when it appears. */
export const ActionError = ({ action }: { action: Pick<Action, 'error' | 'errorRef'> }) =>
  action.error === undefined ? null : <ErrorNotice error={action.error} ref={action.errorRef} />

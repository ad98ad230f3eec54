import { errorFieldLabel, type FieldsByCode } from '../lib/api'
import type { Action } from '../lib/use-action'
import { ErrorNotice } from './error-notice'

type Props = {
  action: Pick<Action, 'error' | 'errorRef'>
  /**
   * The form's fields that show their own server errors (fieldErrorOf), by request name → visible
   * label. An error about one of them is shown on the field; here, by the button, only a pointer to it.
   */
  fields?: Readonly<Record<string, string>>
  /** Codes that are always about one of `fields` (PASSWORD_REJECTED → "password"). */
  fieldsByCode?: FieldsByCode
}

/** The error of a `useAction`, if any, by the button that caused it, in the place that takes focus when it appears. */
export const ActionError = ({ action, fields, fieldsByCode }: Props) => {
  if (action.error === undefined) return null
  const label = fields === undefined ? undefined : errorFieldLabel(action.error, fields, fieldsByCode)
  return <ErrorNotice error={action.error} ref={action.errorRef} {...(label === undefined ? {} : { fieldLabel: label })} />
}

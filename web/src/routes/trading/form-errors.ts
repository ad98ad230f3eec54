import type { z } from 'zod'
import { asSentence } from '../../lib/account-format'

/**
 * Client-side checks use the server's own zod schemas (src/trading/trading-api-types.ts), so the form
 * refuses exactly what the API would, with the schema's words. This turns zod's issues into one message
 * per form field. The schemas' own messages ("must be a decimal number like "0.001"") are kept; zod's
 * built-in ones ("Too small: expected number to be >=5") are said the way a form says them.
 */

/** Messages by field name; `form` holds what belongs to no single field. */
export type FieldErrors = Partial<Record<string, string>>

type Issue = z.core.$ZodRawIssue

/** zod's built-in checks in words; schema-defined messages take precedence over this map. */
export const formErrorMap = (issue: Issue): string | undefined => {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty'
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)}`
      return issue.inclusive === false ? `must be more than ${String(issue.minimum)}` : `must be at least ${String(issue.minimum)}`
    case 'too_big':
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`
      if (issue.origin === 'array') return `takes at most ${String(issue.maximum)}`
      return issue.inclusive === false ? `must be less than ${String(issue.maximum)}` : `must be at most ${String(issue.maximum)}`
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be a whole number'
      if (issue.expected === 'number') return 'must be a number'
      return 'is missing'
    case 'invalid_value':
      return 'is not one of the choices'
    case 'invalid_format':
      return 'is not valid'
    default:
      return undefined
  }
}

/** "must be a number" → "Must be a number." */
export const asFieldMessage = (message: string): string => {
  const sentence = asSentence(message)
  return sentence === '' || /[.!?]$/.test(sentence) ? sentence : `${sentence}.`
}

/**
 * One message per field, the first issue for each (zod reports them in the order of the schema, which
 * is the order of the form). `fieldOf` names the form field of an issue's path; unknown paths go to
 * `form`, so nothing the server would refuse is silently dropped.
 */
export const fieldErrorsOf = (error: z.ZodError, fieldOf: (path: readonly PropertyKey[]) => string | undefined): FieldErrors => {
  const errors: FieldErrors = {}
  for (const issue of error.issues) {
    const field = fieldOf(issue.path) ?? 'form'
    errors[field] ??= asFieldMessage(issue.message)
  }
  return errors
}

/**
 * A validation error the server sent (src/api/error-handler.ts words it "body.config.amount: must be
 * …"; `ApiError.field` keeps the path after "body.") on the form field it is about, so a refusal the
 * client-side check did not foresee still lands beside the field that caused it. Nothing when the
 * error names no field, or one this form does not have: the error notice by the button says it then.
 */
export const serverFieldErrors = (
  error: { field: string | undefined; fieldProblem: string | undefined } | undefined,
  fieldOf: (path: readonly PropertyKey[]) => string | undefined,
): FieldErrors => {
  if (error?.field === undefined || error.fieldProblem === undefined) return {}
  const field = fieldOf(error.field.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part)))
  return field === undefined ? {} : { [field]: error.fieldProblem }
}

/** The first field of `order` with an error, for focus after a failed submit. */
export const firstErrorField = (errors: FieldErrors, order: readonly string[]): string | undefined =>
  order.find((field) => errors[field] !== undefined) ?? (errors.form === undefined ? Object.keys(errors)[0] : 'form')

/** What people type as a number: "14" → 14, " 2.5 " → 2.5; anything else NaN, which the schema refuses. */
export const numberFrom = (text: string): number => (/^\d+(\.\d+)?$/.test(text.trim()) ? Number(text.trim()) : Number.NaN)

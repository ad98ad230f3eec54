/**
 * The key-hygiene and retention form as typed, checked against the server's limits
 * (src/monitoring/workspace-settings.ts) before anything is sent, with a sentence per field.
 */

export type HygieneDraft = { rotationDays: string; remindDaysBefore: string; unusedDays: string; retentionDays: string }
export type HygieneValues = { rotationDays: number; remindDaysBefore: number; unusedDays: number; retentionDays: number }

const limits: Record<keyof HygieneDraft, { min: number; max: number }> = {
  rotationDays: { min: 7, max: 730 },
  remindDaysBefore: { min: 1, max: 60 },
  unusedDays: { min: 1, max: 365 },
  retentionDays: { min: 0, max: 3650 },
}

const keys = Object.keys(limits) as (keyof HygieneDraft)[]

/** Every problem by field; `values` only when there is none. */
export const hygieneProblems = (draft: HygieneDraft): { problems: Partial<Record<keyof HygieneDraft, string>>; values: HygieneValues | undefined } => {
  const problems: Partial<Record<keyof HygieneDraft, string>> = {}
  const values: Partial<HygieneValues> = {}
  for (const key of keys) {
    const text = draft[key].trim()
    const { min, max } = limits[key]
    if (!/^\d+$/.test(text)) {
      problems[key] = `Enter a whole number of days, from ${min} to ${max}.`
      continue
    }
    const value = Number(text)
    if (value < min || value > max) problems[key] = `Choose from ${min} to ${max} days.`
    else values[key] = value
  }
  if (values.rotationDays !== undefined && values.remindDaysBefore !== undefined && values.remindDaysBefore >= values.rotationDays) {
    problems.remindDaysBefore = 'The reminder must come before the rotation is due: choose fewer days than the rotation period.'
  }
  const isComplete = Object.keys(problems).length === 0
  return { problems, values: isComplete ? (values as HygieneValues) : undefined }
}

/** Small conversions for the filter forms of the activity and audit logs. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export const isUuid = (value: string): boolean => UUID.test(value)

/** A `datetime-local` input's value ("2026-12-01T09:30", local time) as an ISO 8601 instant; undefined when empty or invalid. */
export const fromLocalInput = (value: string): string | undefined => {
  if (value.trim() === '') return undefined
  const date = new Date(value)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/** Narrowing helpers for JSON the server sends: the dashboard trusts shapes only after checking them. */

export type JsonRecord = Readonly<Record<string, unknown>>

export const isRecord = (value: unknown): value is JsonRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The field as a string, or undefined when it is missing or another type. */
export const stringField = (record: JsonRecord, key: string): string | undefined => {
  const value = record[key]
  return typeof value === 'string' ? value : undefined
}

/** The field as a boolean, or undefined when it is missing or another type. */
export const booleanField = (record: JsonRecord, key: string): boolean | undefined => {
  const value = record[key]
  return typeof value === 'boolean' ? value : undefined
}

/** The field as a map of string to string, dropping entries whose value is not a string. */
export const stringMapField = (record: JsonRecord, key: string): Readonly<Record<string, string>> | undefined => {
  const value = record[key]
  if (!isRecord(value)) return undefined
  const entries = Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string')
  return Object.fromEntries(entries)
}

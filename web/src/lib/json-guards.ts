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

/** The field as a finite number, or undefined when it is missing or another type. */
export const numberField = (record: JsonRecord, key: string): number | undefined => {
  const value = record[key]
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

/**
 * Reads the fields of one JSON object, throwing an error that names the first field that is missing
 * or of the wrong type. Parsers built from it fail loudly (BAD_RESPONSE) instead of rendering half a
 * page from an answer they do not understand.
 */
export const readObject = (value: unknown, what: string) => {
  if (!isRecord(value)) throw new Error(`${what}: expected an object`)
  const wrong = (key: string, expected: string): never => {
    throw new Error(`${what}: expected "${key}" to be ${expected}`)
  }
  const isAbsent = (key: string) => value[key] === null || value[key] === undefined
  return {
    string: (key: string): string => stringField(value, key) ?? wrong(key, 'a string'),
    /** A string, or null when the field is null or absent. */
    nullableString: (key: string): string | null => (isAbsent(key) ? null : (stringField(value, key) ?? wrong(key, 'a string or null'))),
    boolean: (key: string): boolean => booleanField(value, key) ?? wrong(key, 'true or false'),
    number: (key: string): number => numberField(value, key) ?? wrong(key, 'a number'),
    oneOf: <T extends string>(key: string, allowed: readonly T[]): T => {
      const found = allowed.find((option) => option === value[key])
      return found ?? wrong(key, `one of ${allowed.join(', ')}`)
    },
    array: <T>(key: string, item: (element: unknown, index: number) => T): T[] => {
      const list = value[key]
      return Array.isArray(list) ? list.map(item) : wrong(key, 'a list')
    },
    stringArray: (key: string): string[] => {
      const list = value[key]
      return Array.isArray(list) && list.every((element) => typeof element === 'string') ? [...list] : wrong(key, 'a list of strings')
    },
    record: (key: string): JsonRecord => {
      const field = value[key]
      return isRecord(field) ? field : wrong(key, 'an object')
    },
  }
}

/** Parses every element of a JSON list with `item`, or throws when the body is not a list. */
export const readList = <T>(value: unknown, what: string, item: (element: unknown) => T): T[] => {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list`)
  return value.map((element) => item(element))
}

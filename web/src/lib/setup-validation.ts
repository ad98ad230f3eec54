/**
 * Client-side checks for the "Claim this instance" form. They only save a round trip: the server
 * validates everything again and its answer wins.
 */

export type SetupFields = {
  token: string
  email: string
  password: string
  workspaceName: string
}

export type SetupFieldName = keyof SetupFields
export type SetupFieldErrors = Partial<Record<SetupFieldName, string>>

export const MIN_PASSWORD_LENGTH = 15
export const DEFAULT_WORKSPACE_NAME = 'Personal'

/** Field order, so the first invalid field can take focus. */
export const setupFieldOrder: readonly SetupFieldName[] = ['token', 'email', 'password', 'workspaceName']

/** Counts characters as people see them (code points), never more than the server counts. */
export const characterCount = (value: string): number => [...value].length

/** Trims what copy-paste pads; the password is sent exactly as typed. */
export const normalizeSetupFields = (fields: SetupFields): SetupFields => ({
  token: fields.token.trim(),
  email: fields.email.trim(),
  password: fields.password,
  workspaceName: fields.workspaceName.trim(),
})

// Deliberately loose: `operator@localhost` is a fair address on a self-hosted box.
const looksLikeEmail = (value: string): boolean => /^[^\s@]+@[^\s@]+$/.test(value)

export const validateSetupFields = (fields: SetupFields): SetupFieldErrors => {
  const { token, email, password, workspaceName } = normalizeSetupFields(fields)
  const errors: SetupFieldErrors = {}
  if (token === '') errors.token = "Enter the setup token from the server's terminal."
  if (email === '') errors.email = 'Enter the email address for the operator account.'
  else if (!looksLikeEmail(email)) errors.email = `"${email}" does not look like an email address.`
  const length = characterCount(password)
  if (length === 0) errors.password = 'Choose a password.'
  else if (length < MIN_PASSWORD_LENGTH) {
    errors.password = `Use at least ${MIN_PASSWORD_LENGTH} characters; this one has ${length}.`
  }
  if (workspaceName === '') errors.workspaceName = 'Name the first workspace, for example "Personal".'
  return errors
}

export const firstInvalidField = (errors: SetupFieldErrors): SetupFieldName | undefined =>
  setupFieldOrder.find((name) => errors[name] !== undefined)

import { useCallback, useMemo, useRef } from 'react'
import { PasswordField } from '../../components/password-field'
import { TextAreaField } from '../../components/text-area-field'
import { TextField } from '../../components/text-field'
import type { CatalogueEntry, CredentialField } from '../../lib/exchange-parsers'
import type { CredentialInput, CredentialProblems, KeyKind } from '../../lib/exchange-sealing'

/**
 * The key's fields, as uncontrolled inputs: what is typed stays in the DOM, never in React state, is
 * read once when the form seals it, and is wiped from the inputs right after.
 */
export const useCredentialInputs = () => {
  const apiKey = useRef<HTMLInputElement>(null)
  const secret = useRef<HTMLInputElement>(null)
  const pem = useRef<HTMLTextAreaElement>(null)
  const password = useRef<HTMLInputElement>(null)

  const read = useCallback(
    (keyKind: KeyKind): CredentialInput => ({
      apiKey: apiKey.current?.value ?? '',
      secret: (keyKind === 'ed25519' ? pem.current?.value : secret.current?.value) ?? '',
      password: password.current?.value ?? '',
    }),
    [],
  )

  const clear = useCallback(() => {
    for (const element of [apiKey.current, secret.current, pem.current, password.current]) {
      if (element !== null) element.value = ''
    }
  }, [])

  const focus = useCallback((field: CredentialField, keyKind: KeyKind) => {
    const target = field === 'apiKey' ? apiKey.current : field === 'password' ? password.current : keyKind === 'ed25519' ? pem.current : secret.current
    target?.focus()
  }, [])

  return useMemo(() => ({ refs: { apiKey, secret, pem, password }, read, clear, focus }), [read, clear, focus])
}

export type CredentialInputs = ReturnType<typeof useCredentialInputs>

type Props = {
  idPrefix: string
  entry: CatalogueEntry
  inputs: CredentialInputs
  keyKind: KeyKind
  onKeyKindChange: (kind: KeyKind) => void
  problems: CredentialProblems
  onEdited: (field: CredentialField) => void
  /** "New " in the replace-key form, so its labels differ from the connect form's. */
  labelPrefix?: string
}

const noAutofill = { autoComplete: 'off', autoCapitalize: 'off', autoCorrect: 'off', spellCheck: false } as const

export const CredentialInputFields = ({ idPrefix, entry, inputs, keyKind, onKeyKindChange, problems, onEdited, labelPrefix = '' }: Props) => {
  // The exchange's own words, verbatim (acronyms included), so they match what its page shows.
  const name = (field: CredentialField) => `${labelPrefix}${entry.credentialLabels[field]}`
  const pemLabel = `${labelPrefix}Ed25519 private key (PEM)`
  return (
    <>
      {entry.acceptsEd25519 ? (
        <fieldset className="choices">
          <legend className="field__label">Key type at {entry.name}</legend>
          <label className="choice">
            <input type="radio" name={`${idPrefix}-key-kind`} value="hmac" checked={keyKind === 'hmac'} onChange={() => onKeyKindChange('hmac')} />
            System-generated (HMAC secret)
          </label>
          <label className="choice">
            <input type="radio" name={`${idPrefix}-key-kind`} value="ed25519" checked={keyKind === 'ed25519'} onChange={() => onKeyKindChange('ed25519')} />
            Self-generated Ed25519 key
          </label>
        </fieldset>
      ) : null}
      <TextField
        {...noAutofill}
        id={`${idPrefix}-api-key`}
        label={name('apiKey')}
        className="field__input--mono"
        maxLength={8_000}
        error={problems.apiKey}
        ref={inputs.refs.apiKey}
        onChange={() => onEdited('apiKey')}
      />
      {keyKind === 'ed25519' ? (
        <TextAreaField
          {...noAutofill}
          id={`${idPrefix}-private-key`}
          label={pemLabel}
          help="The private key you generated, from -----BEGIN PRIVATE KEY----- to -----END PRIVATE KEY-----. The exchange holds only the public half."
          className="field__input--mono field__input--secret"
          rows={4}
          error={problems.secret}
          ref={inputs.refs.pem}
          onChange={() => onEdited('secret')}
        />
      ) : (
        <PasswordField
          {...noAutofill}
          id={`${idPrefix}-secret`}
          label={name('secret')}
          className="field__input--mono"
          maxLength={8_000}
          error={problems.secret}
          ref={inputs.refs.secret}
          onChange={() => onEdited('secret')}
        />
      )}
      {entry.credentials.includes('password') ? (
        <PasswordField
          {...noAutofill}
          id={`${idPrefix}-password`}
          label={name('password')}
          help={`The ${entry.credentialLabels.password} you chose when you created the key at ${entry.name}.`}
          maxLength={8_000}
          error={problems.password}
          ref={inputs.refs.password}
          onChange={() => onEdited('password')}
        />
      ) : null}
    </>
  )
}

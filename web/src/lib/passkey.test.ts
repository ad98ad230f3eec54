import { WebAuthnError } from '@simplewebauthn/browser'
import { describe, expect, it } from 'vitest'
import { passkeyErrorMessage } from './passkey'

const domException = (name: string) => new DOMException('browser text', name)
const webAuthnError = (code: ConstructorParameters<typeof WebAuthnError>[0]['code'], name: string) =>
  new WebAuthnError({ message: 'library text', code, cause: domException(name) })

describe('passkey error messages', () => {
  it('says the prompt was closed when the person cancels or it times out', () => {
    expect(passkeyErrorMessage(domException('NotAllowedError'), 'use')).toMatch(/closed or timed out/)
    expect(passkeyErrorMessage(webAuthnError('ERROR_CEREMONY_ABORTED', 'AbortError'), 'create')).toMatch(/^No passkey was created/)
  })

  it('says the authenticator already holds a passkey when registering twice', () => {
    expect(passkeyErrorMessage(webAuthnError('ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED', 'InvalidStateError'), 'create')).toMatch(/already holds a passkey/)
    expect(passkeyErrorMessage(domException('InvalidStateError'), 'create')).toMatch(/already holds a passkey/)
  })

  it('points at the configured origin on a domain mismatch', () => {
    expect(passkeyErrorMessage(webAuthnError('ERROR_INVALID_RP_ID', 'SecurityError'), 'use')).toMatch(/PUBLIC_ORIGIN/)
    expect(passkeyErrorMessage(domException('SecurityError'), 'create')).toMatch(/PUBLIC_ORIGIN/)
  })

  it('never shows the raw browser or library text', () => {
    for (const error of [domException('UnknownError'), webAuthnError('ERROR_PASSTHROUGH_SEE_CAUSE_PROPERTY', 'UnknownError'), new Error('x'), 'string']) {
      expect(passkeyErrorMessage(error, 'use')).not.toMatch(/browser text|library text/)
    }
  })
})

import { ErrorNotice } from '../../components/error-notice'
import { Skeleton } from '../../components/skeleton'
import { StatusBadge } from '../../components/status-badge'
import { formatFingerprint } from '../../lib/signer-trust'
import type { SignerKey } from '../../lib/use-signer-key'

/**
 * Which key the credentials are sealed to, by fingerprint, and whether this browser has sealed to it
 * before. A changed key stops the form (role="alert") until the person ticks that they checked it:
 * an api that was taken over could offer its own key and read whatever is sealed to it.
 */
export const SignerKeyNotice = ({ signer, idPrefix }: { signer: SignerKey; idPrefix: string }) => {
  const { resource, trust } = signer
  if (resource.status === 'loading') {
    return (
      <div className="loading" aria-busy="true">
        <Skeleton width="lg" />
        <span className="visually-hidden">Loading the signer's key</span>
      </div>
    )
  }
  if (resource.status === 'error') {
    return (
      <div className="stack">
        <ErrorNotice error={resource.error} />
        <div className="form__actions">
          <button type="button" className="button button--secondary button--small" onClick={signer.reload}>
            Load the signer key again
          </button>
        </div>
      </div>
    )
  }
  if (trust === undefined) return null
  const checkboxId = `${idPrefix}-signer-key-checked`
  const fingerprint = <code className="fingerprint">{formatFingerprint(trust.fingerprint)}</code>
  return (
    <div className="signer-key">
      <p className="signer-key__line">
        Signer key fingerprint: {fingerprint}{' '}
        {trust.status === 'trusted' ? (
          <StatusBadge tone="ok" label="Same key as before" />
        ) : trust.status === 'first_use' ? (
          <StatusBadge tone="pending" label="First use" />
        ) : (
          <StatusBadge tone="bad" label="Changed" />
        )}
      </p>
      <p className="field__help">
        This page encrypts the key for the signer before it leaves your browser; the Bulwark server only relays it and cannot read it.
        {trust.status === 'first_use'
          ? ' This browser has not sealed to this signer before and will remember its key. To be sure, compare the fingerprint with the one your operator sees on the server.'
          : null}
      </p>
      {trust.status === 'changed' ? (
        <>
          <div className="notice notice--error" role="alert">
            <p className="notice__message">The signer's key has changed.</p>
            <p>
              This browser last sealed to <code>{formatFingerprint(trust.previous)}</code>; the server now offers {fingerprint}. If your operator did not replace
              the signer's key, someone who controls the Bulwark server may be trying to read your credentials: do not continue, and tell your operator.
            </p>
          </div>
          <div className="checkbox">
            <input id={checkboxId} type="checkbox" checked={signer.hasConfirmedChange} onChange={(event) => signer.setHasConfirmedChange(event.target.checked)} />
            <label htmlFor={checkboxId}>I checked the new fingerprint with my operator</label>
          </div>
        </>
      ) : null}
    </div>
  )
}

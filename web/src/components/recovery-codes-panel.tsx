import { useId, useState } from 'react'
import { downloadText } from '../lib/browser-actions'
import { recoveryCodesClipboardText, recoveryCodesFileName, recoveryCodesFileText } from '../lib/recovery-codes'
import { useFocusOnMount } from '../lib/use-focus'
import { CopyButton } from './copy-button'

type Props = {
  codes: readonly string[]
  account: string
  /** Called after the person confirms they saved the codes; the codes are not shown again. */
  onDone: () => void
}

/**
 * A fresh set of recovery codes, shown once: copy, download, and an "I saved them" confirmation
 * before the panel can be closed. Takes focus so the new content is announced.
 */
export const RecoveryCodesPanel = ({ codes, account, onDone }: Props) => {
  const [isSaved, setIsSaved] = useState(false)
  const [createdAt] = useState(() => new Date())
  const headingRef = useFocusOnMount<HTMLHeadingElement>()
  const titleId = useId()
  const checkId = useId()
  const origin = window.location.origin

  return (
    <section className="codes-panel" aria-labelledby={titleId}>
      <h3 id={titleId} className="section__title" tabIndex={-1} ref={headingRef}>
        Save your recovery codes
      </h3>
      <p className="section__intro">
        Each code signs you in once when you cannot use your authenticator app or passkey. They are shown only now: copy or
        download them and keep them somewhere safe and offline.
      </p>
      <ol className="codes" aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code} className="codes__item">
            <code>{code}</code>
          </li>
        ))}
      </ol>
      <div className="form__actions">
        <CopyButton text={recoveryCodesClipboardText(codes)} label="Copy codes" />
        <button
          type="button"
          className="button button--secondary"
          onClick={() => downloadText(recoveryCodesFileName(origin, createdAt), recoveryCodesFileText({ codes, account, origin, createdAt }))}
        >
          Download codes
        </button>
      </div>
      <div className="checkbox">
        <input id={checkId} type="checkbox" checked={isSaved} onChange={(event) => setIsSaved(event.target.checked)} />
        <label htmlFor={checkId}>I have saved these codes somewhere safe</label>
      </div>
      <div className="form__actions">
        <button type="button" className="button button--primary" disabled={!isSaved} onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  )
}

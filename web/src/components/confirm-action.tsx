import { useEffect, useRef, useState } from 'react'

type Props = {
  /** Visible text of the first button, e.g. "Delete". */
  label: string
  /** Its accessible name when the visible text alone is ambiguous in a list, e.g. "Delete passkey Laptop". */
  accessibleLabel?: string
  /** The question shown after the first press, e.g. "Delete the passkey "Laptop"?" */
  question: string
  /** The confirming button, e.g. "Yes, delete". */
  confirmLabel: string
  cancelLabel?: string
  isBusy: boolean
  onConfirm: () => void
  tone?: 'danger' | 'secondary'
}

/**
 * A two-step button for changes that cannot be undone: the first press asks, the second does it.
 * Focus moves to the confirming button and back to the first one on cancel.
 */
export const ConfirmAction = ({ label, accessibleLabel, question, confirmLabel, cancelLabel = 'Cancel', isBusy, onConfirm, tone = 'danger' }: Props) => {
  const [isAsking, setIsAsking] = useState(false)
  const confirmRef = useRef<HTMLButtonElement>(null)
  const startRef = useRef<HTMLButtonElement>(null)
  const hasAskedRef = useRef(false)

  useEffect(() => {
    if (isAsking) confirmRef.current?.focus()
    else if (hasAskedRef.current) startRef.current?.focus()
  }, [isAsking])

  if (!isAsking) {
    return (
      <button
        type="button"
        ref={startRef}
        className="button button--secondary button--small"
        aria-label={accessibleLabel}
        onClick={() => {
          hasAskedRef.current = true
          setIsAsking(true)
        }}
      >
        {label}
      </button>
    )
  }
  return (
    <div className="confirm" role="group" aria-label={question}>
      <p className="confirm__question">{question}</p>
      <div className="confirm__actions">
        <button
          type="button"
          ref={confirmRef}
          className={`button button--small ${tone === 'danger' ? 'button--danger' : 'button--primary'}`}
          disabled={isBusy}
          onClick={onConfirm}
        >
          {confirmLabel}
        </button>
        <button type="button" className="button button--secondary button--small" onClick={() => setIsAsking(false)}>
          {cancelLabel}
        </button>
      </div>
    </div>
  )
}

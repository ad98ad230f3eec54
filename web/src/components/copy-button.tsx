import { useEffect, useState } from 'react'
import { copyText } from '../lib/browser-actions'

type Props = { text: string; label: string; className?: string }

const RESET_MS = 4000

/** Copies `text`; says "Copied" (announced politely) or how to copy by hand when the clipboard is off. */
export const CopyButton = ({ text, label, className = 'button button--secondary' }: Props) => {
  const [result, setResult] = useState<'idle' | 'copied' | 'failed'>('idle')

  useEffect(() => {
    if (result === 'idle') return
    const timer = setTimeout(() => setResult('idle'), RESET_MS)
    return () => clearTimeout(timer)
  }, [result])

  return (
    <>
      <button type="button" className={className} onClick={() => void copyText(text).then((isCopied) => setResult(isCopied ? 'copied' : 'failed'))}>
        {label}
      </button>
      <span className="copy-status" role="status">
        {result === 'copied' ? 'Copied.' : result === 'failed' ? 'Could not copy: select the text and copy it by hand.' : ''}
      </span>
    </>
  )
}

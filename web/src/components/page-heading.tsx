import { useEffect, useRef, type ReactNode } from 'react'
import { takeHeadingFocus } from '../lib/use-route'

type Props = { id: string; title: string; children?: ReactNode; className?: string }

/**
 * A page's main heading. Takes focus after an in-app navigation so a screen reader announces the new
 * page (not on first load, where focus belongs to the browser).
 */
export const PageHeading = ({ id, title, children, className = 'card__title' }: Props) => {
  const ref = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    if (takeHeadingFocus()) ref.current?.focus()
  }, [])
  return (
    <h2 id={id} className={className} tabIndex={-1} ref={ref}>
      {children ?? title}
    </h2>
  )
}

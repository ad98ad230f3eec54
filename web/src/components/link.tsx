import type { AnchorHTMLAttributes, MouseEvent, ReactNode } from 'react'
import { isPlainLeftClick } from '../lib/router'
import { navigate } from '../lib/use-route'

type Props = Omit<AnchorHTMLAttributes<HTMLAnchorElement>, 'href'> & { to: string; children: ReactNode }

/** A real link (open in new tab works) that navigates in-app on a plain click. */
export const Link = ({ to, onClick, children, ...rest }: Props) => {
  const handleClick = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event)
    if (!isPlainLeftClick(event) || rest.target !== undefined) return
    event.preventDefault()
    navigate(to)
  }
  return (
    <a href={to} onClick={handleClick} {...rest}>
      {children}
    </a>
  )
}

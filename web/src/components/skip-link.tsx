import type { MouseEvent } from 'react'

/**
 * "Skip to content": the first stop of the Tab key, shown when focused. Moves focus into the page's
 * main region past the header and the navigation. Handled here rather than by the #fragment, which
 * would add a history entry and stay in the address bar.
 */
export const SkipLink = ({ target }: { target: string }) => {
  const skip = (event: MouseEvent<HTMLAnchorElement>) => {
    event.preventDefault()
    document.getElementById(target)?.focus()
  }
  return (
    <a className="skip-link" href={`#${target}`} onClick={skip}>
      Skip to content
    </a>
  )
}

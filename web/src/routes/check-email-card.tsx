import type { ReactNode } from 'react'
import { Link } from '../components/link'
import { routePaths } from '../lib/router'
import { useFocusOnMount } from '../lib/use-focus'

/** "Check your email": the same answer whether or not the address has an account. */
export const CheckEmailCard = ({ children }: { children: ReactNode }) => {
  const headingRef = useFocusOnMount<HTMLHeadingElement>()
  return (
    <section className="card card--success" aria-labelledby="check-email-title">
      <h2 id="check-email-title" className="card__title" tabIndex={-1} ref={headingRef}>
        Check your email
      </h2>
      <div className="card__body">{children}</div>
      <p className="card__links">
        <Link to={routePaths.signIn}>Back to sign in</Link>
      </p>
    </section>
  )
}

import { Link } from '../../components/link'
import type { ApiError } from '../../lib/api'
import { connectErrorHint } from '../../lib/exchange-errors'
import { routePaths } from '../../lib/router'

/** The next step after a refused key, under the error itself (which already has role="alert"). */
export const ConnectErrorHint = ({ error }: { error: ApiError }) => {
  const hint = connectErrorHint(error)
  if (hint === undefined) return null
  return (
    <p className="hint">
      {hint.text}
      {hint.link === 'security' ? (
        <>
          {' '}
          <Link to={routePaths.security}>Open Security</Link>
        </>
      ) : null}
    </p>
  )
}

import { Link } from '../../components/link'
import type { ApiError } from '../../lib/api'
import { connectErrorHint, type ConnectHint } from '../../lib/exchange-errors'
import { routePaths } from '../../lib/router'

/** The next step after a refusal, under the error itself (which already has role="alert"). */
export const ErrorHint = ({ hint }: { hint: ConnectHint | undefined }) => {
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

/** The next step after a refused key. */
export const ConnectErrorHint = ({ error }: { error: ApiError }) => <ErrorHint hint={connectErrorHint(error)} />

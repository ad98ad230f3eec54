import type { SetupStatus } from '../api/setup/queries'
import type { Resource } from '../lib/use-resource'
import { ErrorNotice } from './error-notice'
import { SetupComplete } from './setup-complete'
import { SetupForm, type ClaimedInstance } from './setup-form'

type Props = {
  setup: Resource<SetupStatus>
  claimed: ClaimedInstance | undefined
  onClaimed: (claimed: ClaimedInstance) => void
  onRetry: () => void
}

/**
 * The claim form while the instance has no operator, the confirmation right after claiming, and
 * nothing otherwise. It sits below the readiness panel, so its arrival moves nothing above it.
 */
export const SetupSection = ({ setup, claimed, onClaimed, onRetry }: Props) => {
  if (claimed !== undefined) return <SetupComplete claimed={claimed} />
  switch (setup.status) {
    case 'loading':
      return null
    case 'error':
      return (
        <section className="card" aria-labelledby="setup-error-title">
          <h2 id="setup-error-title" className="card__title">
            Setup status unknown
          </h2>
          <p className="card__intro">Bulwark could not tell whether this instance still needs an operator.</p>
          <ErrorNotice error={setup.error} />
          <div className="form__actions">
            <button type="button" className="button button--secondary" onClick={onRetry}>
              Try again
            </button>
          </div>
        </section>
      )
    case 'success':
      return setup.data.needsSetup ? <SetupForm onClaimed={onClaimed} /> : null
  }
}

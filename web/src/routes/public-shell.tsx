import type { SetupStatus } from '../api/setup/queries'
import { fetchReadiness, type VersionInfo } from '../api/system/queries'
import { AppHeader } from '../components/app-header'
import { READINESS_REFRESH_MS, ReadinessPanel } from '../components/readiness-panel'
import type { ClaimedInstance } from '../components/setup-form'
import { SetupSection } from '../components/setup-section'
import type { Route } from '../lib/router'
import { useAppSession } from '../lib/session-context'
import { useDocumentTitle } from '../lib/use-document-title'
import { useRoute } from '../lib/use-route'
import { useResource, type Resource } from '../lib/use-resource'
import { EmailLinkRoute } from './email-link-pages'
import { ForgotPasswordPage } from './forgot-password-page'
import { SignInCard } from './sign-in-card'
import { SignUpPage } from './sign-up-page'
import { LoadingCard, NotFoundPage, SessionUnknownCard } from './simple-pages'

export type SetupState = 'loading' | 'error' | 'needed' | 'done'

type Props = {
  version: Resource<VersionInfo>
  setup: Resource<SetupStatus>
  setupState: SetupState
  onRetrySetup: () => void
  claimed: ClaimedInstance | undefined
  onClaimed: (claimed: ClaimedInstance) => void
}

const readinessOptions = { refreshMs: READINESS_REFRESH_MS }

/** The sign-in form, once the session check says nobody is signed in. */
const SessionGate = ({ intro }: { intro?: string }) => {
  const { session, recheckSession } = useAppSession()
  switch (session.status) {
    case 'checking':
    case 'signed_in': // about to switch to the signed-in shell
      return <LoadingCard label="Checking your session" />
    case 'unknown':
      return <SessionUnknownCard error={session.error} onRetry={recheckSession} />
    case 'signed_out':
      return <SignInCard {...(intro === undefined ? {} : { intro })} />
  }
}

const Home = ({ setup, setupState, onRetrySetup, claimed, onClaimed }: Omit<Props, 'version'>) => {
  const readiness = useResource(fetchReadiness, readinessOptions)
  const isSetupShown = claimed !== undefined || setupState === 'needed' || setupState === 'loading'
  return (
    <>
      <ReadinessPanel readiness={readiness.resource} onRecheck={readiness.reload} />
      <SetupSection setup={setup} claimed={claimed} onClaimed={onClaimed} onRetry={onRetrySetup} />
      {isSetupShown ? null : <SessionGate />}
    </>
  )
}

const Page = ({ route, props }: { route: Route; props: Omit<Props, 'version'> }) => {
  switch (route.name) {
    case 'home':
      return <Home {...props} />
    case 'signIn':
      return <SessionGate />
    case 'signUp':
      return <SignUpPage />
    case 'forgotPassword':
      return <ForgotPasswordPage />
    case 'resetPassword':
    case 'verifyEmail':
    case 'confirmEmail':
    case 'unlock':
    case 'notMe':
    case 'emergencyLockdown':
    case 'confirmUnlock':
    case 'lockedDown':
      return <EmailLinkRoute route={route.name} />
    case 'security':
    case 'tokens':
    case 'alerts':
    case 'securityCenter':
    case 'activity':
    case 'audit':
    case 'notifications':
    case 'incidents':
      // Shown in place: once signed in, the same address shows the page asked for.
      return <SessionGate intro="Sign in to see this page." />
    case 'notFound':
      return <NotFoundPage path={route.path} />
  }
}

/**
 * Everything someone who is not signed in can see (readiness, setup, sign-in, sign-up), and the
 * emailed-link pages for everyone.
 */
export const PublicShell = ({ version, ...props }: Props) => {
  const route = useRoute()
  useDocumentTitle(route)
  return (
    <div className="app">
      <AppHeader version={version} />
      <main className="app-main">
        <Page route={route} props={props} />
      </main>
    </div>
  )
}

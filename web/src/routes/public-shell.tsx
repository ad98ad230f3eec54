import type { SetupStatus } from '../api/setup/queries'
import { fetchReadiness, type VersionInfo } from '../api/system/queries'
import { AppHeader, Brand } from '../components/app-header'
import { PageSkeleton } from '../components/lazy-page'
import { ThemeToggle } from '../components/theme-toggle'
import { SkipLink } from '../components/skip-link'
import { READINESS_REFRESH_MS, ReadinessPanel } from '../components/readiness-panel'
import type { ClaimedInstance } from '../components/setup-form'
import { SetupSection } from '../components/setup-section'
import type { Route, RouteName } from '../lib/router'
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
    case 'invite':
      return <EmailLinkRoute route={route.name} />
    case 'security':
    case 'tokens':
    case 'settings':
    case 'exchanges':
    case 'demo':
    case 'trade':
    case 'smartTrades':
    case 'bots':
    case 'alerts':
    case 'securityCenter':
    case 'activity':
    case 'audit':
    case 'notifications':
    case 'incidents':
    case 'team':
    case 'approvals':
    case 'policies':
      // Shown in place: once signed in, the same address shows the page asked for.
      return <SessionGate intro="Sign in to see this page." />
    case 'notFound':
      return <NotFoundPage path={route.path} />
  }
}

/** The pages behind the sign-in: shown in place once the session check says who is here. */
const signedInPages: ReadonlySet<RouteName> = new Set<RouteName>([
  'security',
  'tokens',
  'settings',
  'exchanges',
  'demo',
  'trade',
  'smartTrades',
  'bots',
  'alerts',
  'securityCenter',
  'activity',
  'audit',
  'notifications',
  'incidents',
  'team',
  'approvals',
  'policies',
])

/**
 * While the session is checked on a signed-in page (a reload, a bookmark), the dashboard's frame with
 * an empty sidebar and a page placeholder: most who open these pages are signed in, and their page then
 * appears in place instead of after a narrow "checking" card.
 */
const ShellPlaceholder = ({ version }: { version: Props['version'] }) => (
  <div className="shell">
    <header className="app-header">
      <div className="app-header__start">
        <Brand version={version} />
      </div>
      <div className="app-header__tools">
        <ThemeToggle />
      </div>
    </header>
    <div className="shell__nav" />
    <main id="main" className="shell__main" tabIndex={-1}>
      <div className="shell__content">
        <PageSkeleton label="Checking your session" />
      </div>
    </main>
  </div>
)

/**
 * Everything someone who is not signed in can see (readiness, setup, sign-in, sign-up), and the
 * emailed-link pages for everyone: one narrow centered column under the brand, in both themes.
 */
export const PublicShell = ({ version, ...props }: Props) => {
  const route = useRoute()
  const { session } = useAppSession()
  useDocumentTitle(route)
  if (session.status === 'checking' && route.name !== 'notFound' && signedInPages.has(route.name)) return <ShellPlaceholder version={version} />
  return (
    <div className="public-shell">
      <SkipLink target="main" />
      <AppHeader version={version} />
      <main id="main" className="public-shell__main" tabIndex={-1}>
        <Page route={route} props={props} />
      </main>
      <p className="public-shell__footer">Self-hosted crypto trading. Exchange keys are sealed in your browser for your own signer.</p>
    </div>
  )
}

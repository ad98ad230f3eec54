import { useCallback, useEffect, useMemo, useRef, useState } from 'react'
import { logout } from './api/auth/mutations'
import { fetchMe } from './api/account/queries'
import { fetchSetupStatus } from './api/setup/queries'
import { fetchVersion } from './api/system/queries'
import type { ClaimedInstance } from './components/setup-form'
import { StepUpDialog } from './components/step-up-dialog'
import { ApiError, asApiError } from './lib/api'
import type { Me } from './lib/account-parsers'
import { createApiClient } from './lib/api-client'
import { AppSessionContext, type AppSession, type SessionState } from './lib/session-context'
import { stepUpCancelled } from './lib/step-up'
import { isEmailLinkRoute } from './lib/router'
import { navigate, useRoute } from './lib/use-route'
import { useResource } from './lib/use-resource'
import { SignedInShell } from './routes/signed-in-shell'
import { PublicShell, type SetupState } from './routes/public-shell'

type PendingStepUp = { resolve: () => void; reject: (error: ApiError) => void }

const SESSION_ENDED_NOTICE = 'Your session has ended. Sign in again to continue.'

/**
 * The app root: who is signed in, the API client every page uses, and the step-up dialog the client
 * opens when a change needs a fresh confirmation.
 *
 * On start it asks GET /api/setup first and GET /api/me only when the instance has an operator: an
 * unclaimed instance has no accounts, so nobody can be signed in (and no 401 is logged for nothing).
 */
export const App = () => {
  const route = useRoute()
  const version = useResource(fetchVersion)
  const setup = useResource(fetchSetupStatus)
  const [claimed, setClaimed] = useState<ClaimedInstance | undefined>(undefined)
  const [session, setSession] = useState<SessionState>({ status: 'checking' })
  const [pendingStepUp, setPendingStepUp] = useState<PendingStepUp | undefined>(undefined)
  const csrfRef = useRef<string | undefined>(undefined)
  const onSessionEndedRef = useRef<() => void>(() => {})

  const [client] = useState(() =>
    createApiClient({
      csrfToken: () => csrfRef.current,
      confirmIdentity: () =>
        csrfRef.current === undefined
          ? Promise.reject(new ApiError('UNAUTHENTICATED', 'Sign in first.'))
          : new Promise<void>((resolve, reject) => setPendingStepUp({ resolve, reject })),
      onSessionEnded: () => onSessionEndedRef.current(),
    }),
  )

  const showSignedIn = useCallback((me: Me) => {
    csrfRef.current = me.csrfToken
    setSession({ status: 'signed_in', me })
  }, [])

  const showSignedOut = useCallback((notice?: string) => {
    csrfRef.current = undefined
    setSession(notice === undefined ? { status: 'signed_out' } : { status: 'signed_out', notice })
  }, [])

  // A step-up that was waiting when the session ended can no longer succeed.
  useEffect(() => {
    if (session.status === 'signed_in' || pendingStepUp === undefined) return
    pendingStepUp.reject(new ApiError('UNAUTHENTICATED', SESSION_ENDED_NOTICE))
    setPendingStepUp(undefined)
  }, [session.status, pendingStepUp])

  const loadMe = useCallback(
    async (signal?: AbortSignal) => {
      try {
        showSignedIn(await fetchMe(client, signal))
      } catch (error) {
        if (signal?.aborted === true) return
        const apiError = asApiError(error)
        if (apiError.code === 'UNAUTHENTICATED') showSignedOut()
        else setSession({ status: 'unknown', error: apiError })
      }
    },
    [client, showSignedIn, showSignedOut],
  )

  useEffect(() => {
    onSessionEndedRef.current = () => showSignedOut(SESSION_ENDED_NOTICE)
  }, [showSignedOut])

  const setupState: SetupState =
    setup.resource.status === 'success' ? (setup.resource.data.needsSetup ? 'needed' : 'done') : setup.resource.status

  const [sessionCheck, setSessionCheck] = useState(0)
  useEffect(() => {
    if (setupState === 'loading') return
    if (setupState === 'needed') {
      showSignedOut()
      return
    }
    const controller = new AbortController()
    void loadMe(controller.signal)
    return () => controller.abort()
  }, [setupState, loadMe, showSignedOut, sessionCheck])

  const appSession = useMemo<AppSession>(
    () => ({
      client,
      session,
      completeSignIn: async () => showSignedIn(await fetchMe(client)),
      refreshMe: async () => {
        try {
          showSignedIn(await fetchMe(client))
        } catch (error) {
          if (asApiError(error).code === 'UNAUTHENTICATED') showSignedOut(SESSION_ENDED_NOTICE)
        }
      },
      recheckSession: () => setSessionCheck((count) => count + 1),
      signOut: async () => {
        try {
          await logout(client)
        } catch {
          // Already ended or unreachable: this page forgets the session either way.
        }
        showSignedOut('You have signed out.')
        navigate('/sign-in')
      },
    }),
    [client, session, showSignedIn, showSignedOut],
  )

  const finishStepUp = (outcome: 'confirmed' | 'cancelled') => {
    if (outcome === 'confirmed') pendingStepUp?.resolve()
    else pendingStepUp?.reject(stepUpCancelled())
    setPendingStepUp(undefined)
  }

  return (
    <AppSessionContext value={appSession}>
      {session.status === 'signed_in' && !isEmailLinkRoute(route) ? (
        <SignedInShell me={session.me} version={version.resource} />
      ) : (
        <PublicShell
          version={version.resource}
          setup={setup.resource}
          setupState={setupState}
          onRetrySetup={setup.reload}
          claimed={claimed}
          onClaimed={setClaimed}
        />
      )}
      {pendingStepUp !== undefined && session.status === 'signed_in' ? (
        <StepUpDialog
          security={session.me.security}
          onConfirmed={() => finishStepUp('confirmed')}
          onCancel={() => finishStepUp('cancelled')}
        />
      ) : null}
    </AppSessionContext>
  )
}

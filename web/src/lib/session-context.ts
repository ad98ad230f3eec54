import { createContext, useCallback, useContext } from 'react'
import type { ApiError } from './api'
import type { ApiClient } from './api-client'
import type { Me } from './account-parsers'
import { useResource } from './use-resource'

/** What every page may know about the session, provided once by App. */

export type SessionState =
  | { status: 'checking' }
  | { status: 'signed_out'; notice?: string }
  | { status: 'signed_in'; me: Me }
  /** The server could not say (down, or answered something unexpected). */
  | { status: 'unknown'; error: ApiError }

export type AppSession = {
  client: ApiClient
  session: SessionState
  /** After the server set the session cookie: loads /api/me and shows the signed-in pages. @throws ApiError */
  completeSignIn: () => Promise<void>
  /** Loads /api/me again, after a change to factors, codes or email. Never throws. */
  refreshMe: () => Promise<void>
  /** Asks /api/me again after an action that may have ended this session (a "not me" lock, a reset). */
  recheckSession: () => void
  signOut: () => Promise<void>
}

export const AppSessionContext = createContext<AppSession | undefined>(undefined)

export const useAppSession = (): AppSession => {
  const value = useContext(AppSessionContext)
  if (value === undefined) throw new Error('useAppSession must be used inside <AppSessionContext>')
  return value
}

/** The signed-in person; only for components rendered inside the signed-in pages. */
export const useMe = (): Me => {
  const { session } = useAppSession()
  if (session.status !== 'signed_in') throw new Error('useMe must be used on a signed-in page')
  return session.me
}

/** `useResource` for a query that takes the API client; `load` must be a module-level function. */
export const useClientResource = <T>(load: (client: ApiClient, signal: AbortSignal) => Promise<T>, options?: { refreshMs?: number }) => {
  const { client } = useAppSession()
  const bound = useCallback((signal: AbortSignal) => load(client, signal), [client, load])
  return useResource(bound, options)
}

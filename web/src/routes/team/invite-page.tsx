import { useEffect, useRef, useState } from 'react'
import { acceptInvitation, previewInvitation } from '../../api/team/mutations'
import { ActionError } from '../../components/action-error'
import { ErrorNotice } from '../../components/error-notice'
import { Link } from '../../components/link'
import { PageHeading } from '../../components/page-heading'
import { asSentence, formatDateTime } from '../../lib/account-format'
import { asApiError, type ApiError } from '../../lib/api'
import { clearPendingInvitation, readPendingInvitation, savePendingInvitation, savePendingInvitationEmail } from '../../lib/pending-invitation'
import { routePaths, tokenFromFragment } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { roleDescription, roleLabel } from '../../lib/team-format'
import type { AcceptedInvitation, InvitationPreview } from '../../lib/team-parsers'
import { useAction } from '../../lib/use-action'
import { useFocusOnMount } from '../../lib/use-focus'
import { clearFragment } from '../../lib/use-route'
import { saveWorkspaceId } from '../../lib/workspace'
import './team.css'

/**
 * The invitation link (`/invite#token=…`). The token is read from the fragment (which never reaches the
 * server's logs), removed from the address bar, and kept in this tab's sessionStorage so that signing in
 * or creating an account first brings the person back here. It is sent only in the bodies of the preview
 * and accept requests, and forgotten once accepted or found unusable.
 */
const useInvitationToken = (): string | undefined => {
  const [token] = useState(() => {
    const fromLink = tokenFromFragment(window.location.hash)
    if (fromLink !== undefined) savePendingInvitation(fromLink)
    return fromLink ?? readPendingInvitation()
  })
  useEffect(() => {
    clearFragment()
    // A second link pasted into the same tab changes only the fragment: start afresh with it.
    const onHashChange = () => {
      if (tokenFromFragment(window.location.hash) !== undefined) window.location.reload()
    }
    window.addEventListener('hashchange', onHashChange)
    return () => window.removeEventListener('hashchange', onHashChange)
  }, [])
  return token
}

type PreviewState = { status: 'loading' } | { status: 'ready'; preview: InvitationPreview } | { status: 'failed'; error: ApiError }

const sameAddress = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase()

const Joined = ({ preview, joined }: { preview: InvitationPreview; joined: AcceptedInvitation }) => {
  const ref = useFocusOnMount<HTMLDivElement>()
  return (
    <>
      <div className="notice notice--success" role="status" tabIndex={-1} ref={ref}>
        <p className="notice__message">
          You joined {preview.workspaceName} as {roleLabel[joined.role].toLowerCase()}.
        </p>
        <p>{roleDescription[joined.role]}</p>
        {joined.pendingRole !== null ? (
          <p>
            {preview.workspaceName} asks for a second person's approval of more rights: you become {roleLabel[joined.pendingRole].toLowerCase()} once another owner or
            admin approves it{joined.approval === null ? '' : ' (within 24 hours)'}.
          </p>
        ) : null}
        {joined.note === null ? null : <p>{asSentence(joined.note).replace(/\.?$/, '.')}</p>}
      </div>
      <div className="form__actions form__actions--spaced">
        <Link to={routePaths.team} className="button button--primary">
          Open {preview.workspaceName}
        </Link>
      </div>
    </>
  )
}

/** What to do next, depending on who (if anyone) is signed in in this browser. */
const NextStep = ({ token, preview, onJoined }: { token: string; preview: InvitationPreview; onJoined: (joined: AcceptedInvitation) => void }) => {
  const { client, session, signOut, refreshMe } = useAppSession()
  const action = useAction()
  const [isSigningOut, setIsSigningOut] = useState(false)

  if (session.status === 'checking') return <p role="status">Checking who is signed in…</p>
  if (session.status !== 'signed_in') {
    return (
      <>
        <p>
          Sign in with <strong>{preview.email}</strong> to join, or create an account with that address if you have none. You come back here afterwards.
        </p>
        <div className="form__actions form__actions--spaced">
          <Link to={routePaths.signIn} className="button button--primary">
            Sign in
          </Link>
          <Link to={routePaths.signUp} className="button button--secondary">
            Create an account
          </Link>
        </div>
      </>
    )
  }

  const { me } = session
  // An address the server shortened for the preview (a***@example.com) cannot be compared here: the server decides.
  const isMasked = preview.email.includes('*')
  if (!isMasked && !sameAddress(me.user.email, preview.email)) {
    return (
      <>
        <div className="notice notice--warning" role="status">
          <p className="notice__message">
            You are signed in as {me.user.email}, but this invitation is for {preview.email}.
          </p>
          <p>Sign out, then sign in with {preview.email} (or create an account with it). The invitation waits in this tab.</p>
        </div>
        <div className="form__actions form__actions--spaced">
          <button
            type="button"
            className="button button--primary"
            disabled={isSigningOut}
            onClick={() => {
              setIsSigningOut(true)
              void signOut()
            }}
          >
            Sign out
          </button>
        </div>
      </>
    )
  }

  const join = () =>
    void action.run(async () => {
      const joined = await acceptInvitation(client, token)
      clearPendingInvitation()
      saveWorkspaceId(joined.workspaceId) // the dashboard opens on the workspace just joined
      await refreshMe()
      onJoined(joined)
    })

  return (
    <>
      <p>
        You are signed in as <strong>{me.user.email}</strong>.
      </p>
      {me.user.emailVerified ? null : (
        <div className="notice notice--warning" role="status">
          <p className="notice__message">Verify your email address first: open the link Bulwark sent you when you created the account.</p>
        </div>
      )}
      <ActionError action={action} />
      <div className="form__actions form__actions--spaced">
        <button type="button" className="button button--primary" onClick={join} disabled={action.isBusy}>
          {action.isBusy ? 'Joining…' : `Join ${preview.workspaceName}`}
        </button>
      </div>
    </>
  )
}

/** The page an invitation email links to: what the invitation is for, then joining as the invited address. */
export const InvitePage = () => {
  const { client } = useAppSession()
  const token = useInvitationToken()
  const [state, setState] = useState<PreviewState>({ status: 'loading' })
  const [joined, setJoined] = useState<AcceptedInvitation | undefined>(undefined)
  const request = useRef<Promise<InvitationPreview> | undefined>(undefined)

  useEffect(() => {
    if (token === undefined) return
    let isCurrent = true
    request.current ??= previewInvitation(client, token)
    request.current.then(
      (preview) => {
        savePendingInvitationEmail(preview.email) // the sign-up form starts with the invited address
        if (isCurrent) setState({ status: 'ready', preview })
      },
      (error: unknown) => {
        const apiError = asApiError(error)
        // Unknown, used, revoked or expired (the server does not say which): nothing to come back to.
        if (apiError.code === 'NOT_FOUND') clearPendingInvitation()
        if (isCurrent) setState({ status: 'failed', error: apiError })
      },
    )
    return () => {
      isCurrent = false
    }
    // Once per page: the token does not change (a new link reloads the page).
  }, [])

  return (
    <section className="card" aria-labelledby="invite-title" aria-busy={token !== undefined && state.status === 'loading'}>
      <PageHeading id="invite-title" title="Join a workspace" />
      {token === undefined ? (
        <div className="notice notice--error" role="alert">
          <p className="notice__message">This page needs the full link from the invitation email.</p>
          <p className="notice__detail">Open the link from the email again, or copy all of it into the address bar.</p>
        </div>
      ) : state.status === 'loading' ? (
        <p role="status">Checking the invitation…</p>
      ) : state.status === 'failed' ? (
        <>
          <ErrorNotice error={state.error} />
          <p className="hint">An invitation link works once and expires after 7 days. Ask whoever invited you to send a new one.</p>
        </>
      ) : (
        <>
          <p className="card__intro">
            {state.preview.invitedByName ?? 'A member'} invited <strong>{state.preview.email}</strong> to <strong>{state.preview.workspaceName}</strong> as{' '}
            {roleLabel[state.preview.role].toLowerCase()}.
          </p>
          <dl className="details invite-facts">
            <div className="details__row">
              <dt>Role</dt>
              <dd>
                {roleLabel[state.preview.role]}: {roleDescription[state.preview.role]}
              </dd>
            </div>
            <div className="details__row">
              <dt>Link expires</dt>
              <dd>{formatDateTime(state.preview.expiresAt)}</dd>
            </div>
          </dl>
          {joined === undefined ? <NextStep token={token} preview={state.preview} onJoined={setJoined} /> : <Joined preview={state.preview} joined={joined} />}
        </>
      )}
    </section>
  )
}

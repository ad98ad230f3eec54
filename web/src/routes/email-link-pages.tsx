import { lazy, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react'
import { confirmEmailChange, reportNotMe, resetPassword, unlockAccount, verifyEmail } from '../api/auth/mutations'
import { confirmUnlock, emergencyLockdown, previewEmergency } from '../api/incident/mutations'
import { ActionError } from '../components/action-error'
import { ErrorNotice } from '../components/error-notice'
import { LazyPage } from '../components/lazy-page'
import { Link } from '../components/link'
import { PageHeading } from '../components/page-heading'
import { PasswordField } from '../components/password-field'
import { asApiError, type ApiError } from '../lib/api'
import type { ApiClient } from '../lib/api-client'
import { routePaths, tokenFromFragment, type EmailLinkRouteName } from '../lib/router'
import { useAppSession } from '../lib/session-context'
import { useAction } from '../lib/use-action'
import { useFocusOnMount } from '../lib/use-focus'
import { clearFragment } from '../lib/use-route'
import type { EmergencyOutcome, EmergencyWorkspace, UnlockConfirmed } from '../lib/incident-parsers'
import { formatDateTime } from '../lib/account-format'
import { waitingSentence } from '../lib/team-format'
import { ActionProblem } from './monitoring/action-problem'
import { LockedDownPage } from './monitoring/locked-down-page'

// Opened from an invitation email only: loaded when opened.
const InvitePage = lazy(() => import('./team/invite-page').then((module) => ({ default: module.InvitePage })))

/**
 * Pages opened from account emails. The token rides in the fragment (`#token=…`), which browsers
 * never send to the server; each page reads it once, removes it from the address bar and history,
 * and POSTs it. Links are single use: a second POST of the same token fails.
 */

/**
 * The token from the address, read once; the fragment is cleared right after. A second link pasted
 * into the same tab changes only the fragment (no page load), so that starts the page afresh.
 */
const useEmailToken = (): string | undefined => {
  const [token] = useState(() => tokenFromFragment(window.location.hash))
  useEffect(() => {
    clearFragment()
    const onHashChange = () => {
      if (tokenFromFragment(window.location.hash) !== undefined) window.location.reload()
    }
    window.addEventListener('hashchange', onHashChange)
    return () => window.removeEventListener('hashchange', onHashChange)
  }, [])
  return token
}

const MissingToken = ({ what }: { what: string }) => (
  <div className="notice notice--error" role="alert">
    <p className="notice__message">This page needs the full link from the email {what}.</p>
    <p className="notice__detail">Open the link from the email again, or copy all of it into the address bar.</p>
  </div>
)

const Done = ({ title, children }: { title: string; children: ReactNode }) => {
  const ref = useFocusOnMount<HTMLDivElement>()
  return (
    <div className="notice notice--success" role="status" tabIndex={-1} ref={ref}>
      <p className="notice__message">{title}</p>
      {children}
    </div>
  )
}

const ContinueLink = () => {
  const { session } = useAppSession()
  return session.status === 'signed_in' ? (
    <Link to={routePaths.security} className="button button--secondary">
      Go to security settings
    </Link>
  ) : (
    <Link to={routePaths.signIn} className="button button--secondary">
      Sign in
    </Link>
  )
}

type AutomaticLink = {
  title: string
  intro: string
  what: string
  send: (client: ApiClient, token: string) => Promise<unknown>
  doneTitle: string
  doneText: string
}

/**
 * Links that only confirm something (verify an address, confirm a new one) are sent as soon as the
 * page opens. The request is kept in a ref so React's development double-mount sends it once.
 */
const AutomaticLinkPage = ({ id, link }: { id: string; link: AutomaticLink }) => {
  const { client, refreshMe, session } = useAppSession()
  const token = useEmailToken()
  const [outcome, setOutcome] = useState<{ status: 'sending' } | { status: 'done' } | { status: 'failed'; error: ApiError }>({ status: 'sending' })
  const request = useRef<Promise<unknown> | undefined>(undefined)
  const isSignedIn = session.status === 'signed_in'

  useEffect(() => {
    if (token === undefined) return
    let isCurrent = true
    request.current ??= link.send(client, token)
    request.current.then(
      () => {
        if (!isCurrent) return
        setOutcome({ status: 'done' })
        if (isSignedIn) void refreshMe()
      },
      (error: unknown) => {
        if (isCurrent) setOutcome({ status: 'failed', error: asApiError(error) })
      },
    )
    return () => {
      isCurrent = false
    }
    // Once per page on purpose: the token does not change, and re-sending a used link would fail.
  }, [])

  return (
    <section className="card" aria-labelledby={`${id}-title`} aria-busy={outcome.status === 'sending' && token !== undefined}>
      <PageHeading id={`${id}-title`} title={link.title} />
      <p className="card__intro">{link.intro}</p>
      {token === undefined ? (
        <MissingToken what={link.what} />
      ) : outcome.status === 'sending' ? (
        <p role="status">Checking the link…</p>
      ) : outcome.status === 'failed' ? (
        <ErrorNotice error={outcome.error} />
      ) : (
        <Done title={link.doneTitle}>
          <p>{link.doneText}</p>
        </Done>
      )}
      <div className="form__actions form__actions--spaced">
        <ContinueLink />
      </div>
    </section>
  )
}

type ConfirmedLink = {
  title: string
  intro: ReactNode
  what: string
  buttonLabel: string
  busyLabel: string
  send: (client: ApiClient, token: string) => Promise<unknown>
  doneTitle: string
  doneText: string
  /** After success: this browser's own session may have ended too. */
  isSessionEnding?: boolean
}

/** Links that change the account's state (unlock, lock) wait for an explicit press. */
const ConfirmedLinkPage = ({ id, link }: { id: string; link: ConfirmedLink }) => {
  const { client, recheckSession } = useAppSession()
  const token = useEmailToken()
  const [isDone, setIsDone] = useState(false)
  const action = useAction()

  const confirm = () => {
    if (token === undefined) return
    void action.run(async () => {
      await link.send(client, token)
      setIsDone(true)
      if (link.isSessionEnding === true) recheckSession()
    })
  }

  return (
    <section className="card" aria-labelledby={`${id}-title`}>
      <PageHeading id={`${id}-title`} title={link.title} />
      <div className="card__intro">{link.intro}</div>
      {token === undefined ? (
        <MissingToken what={link.what} />
      ) : isDone ? (
        <Done title={link.doneTitle}>
          <p>{link.doneText}</p>
        </Done>
      ) : (
        <>
          <ActionError action={action} />
          <div className="form__actions form__actions--spaced">
            <button type="button" className="button button--primary" onClick={confirm} disabled={action.isBusy}>
              {action.isBusy ? link.busyLabel : link.buttonLabel}
            </button>
          </div>
        </>
      )}
      {isDone || token === undefined ? (
        <div className="form__actions form__actions--spaced">
          <ContinueLink />
        </div>
      ) : null}
    </section>
  )
}

const ResetPasswordPage = () => {
  const { client, recheckSession } = useAppSession()
  const token = useEmailToken()
  const [password, setPassword] = useState('')
  const [passwordError, setPasswordError] = useState<string | undefined>(undefined)
  const [result, setResult] = useState<{ secondFactorStillRequired: boolean } | undefined>(undefined)
  const passwordRef = useRef<HTMLInputElement>(null)
  const action = useAction()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (token === undefined) return
    if (password === '') {
      setPasswordError('Choose a new password.')
      return passwordRef.current?.focus()
    }
    void action.run(async () => {
      setResult(await resetPassword(client, token, password))
      setPassword('')
      recheckSession() // every session ended, this browser's too
    })
  }

  return (
    <section className="card" aria-labelledby="reset-title">
      <PageHeading id="reset-title" title="Choose a new password" />
      {token === undefined ? (
        <>
          <MissingToken what="that lets you reset your password" />
          <p className="card__links">
            <Link to={routePaths.forgotPassword}>Ask for a new link</Link>
          </p>
        </>
      ) : result !== undefined ? (
        <>
          <Done title="Password changed">
            <p>
              Every session of your account has ended. Sign in with your new password
              {result.secondFactorStillRequired ? '; you will still be asked for your second factor.' : '.'}
            </p>
          </Done>
          <div className="form__actions form__actions--spaced">
            <Link to={routePaths.signIn} className="button button--secondary">
              Sign in
            </Link>
          </div>
        </>
      ) : (
        <form className="form form--spaced" onSubmit={submit} noValidate aria-busy={action.isBusy}>
          <PasswordField
            id="reset-password"
            name="password"
            label="New password"
            help="At least 15 characters. A few unrelated words make a passphrase that is long and easy to type."
            autoComplete="new-password"
            value={password}
            error={passwordError}
            ref={passwordRef}
            onChange={(event) => {
              setPassword(event.target.value)
              setPasswordError(undefined)
            }}
            required
          />
          <ActionError action={action} />
          <div className="form__actions">
            <button type="submit" className="button button--primary" disabled={action.isBusy}>
              {action.isBusy ? 'Saving…' : 'Set new password'}
            </button>
          </div>
        </form>
      )}
    </section>
  )
}

const verifyEmailLink: AutomaticLink = {
  title: 'Verify your email',
  intro: 'Confirming that this address is yours.',
  what: 'that verifies your address',
  send: verifyEmail,
  doneTitle: 'Email verified',
  doneText: 'Your address is confirmed. You can sign in now.',
}

const confirmEmailLink: AutomaticLink = {
  title: 'Confirm your new email',
  intro: 'Confirming the new address for your account.',
  what: 'sent to your new address',
  send: confirmEmailChange,
  doneTitle: 'Email address changed',
  doneText: 'Sign in with your new address from now on. Your old address was told about the change.',
}

const unlockLink: ConfirmedLink = {
  title: 'Unlock your account',
  intro: <p>Your account was locked to keep it safe. Unlock it if you are ready to sign in again.</p>,
  what: 'that unlocks your account',
  buttonLabel: 'Unlock my account',
  busyLabel: 'Unlocking…',
  send: unlockAccount,
  doneTitle: 'Account unlocked',
  doneText: 'You can sign in again. If you did not change your password yet, do it now.',
}

const notMeLink: ConfirmedLink = {
  title: 'Secure your account',
  intro: (
    <>
      <p>Someone signed in to your account and it was not you? Lock the account now.</p>
      <p>
        This ends every session, including any on this device, and locks the account. We then email you a link to unlock it;
        choose a new password when you sign in again.
      </p>
    </>
  ),
  what: 'about the sign-in',
  buttonLabel: 'Lock my account',
  busyLabel: 'Locking…',
  send: reportNotMe,
  doneTitle: 'Account locked',
  doneText: 'Every session has ended. Check your email for the link to unlock your account.',
  isSessionEnding: true,
}

/**
 * The emergency link from a security email (R19). Mail scanners open links, so opening this page only
 * shows what would be locked (the preview changes nothing and does not use the link); only the button
 * spends the link and locks everything down.
 */
const EmergencyLockdownPage = () => {
  const { client, recheckSession } = useAppSession()
  const token = useEmailToken()
  const [preview, setPreview] = useState<{ status: 'loading' } | { status: 'ready'; workspaces: EmergencyWorkspace[] } | { status: 'failed'; error: ApiError }>({ status: 'loading' })
  const [outcome, setOutcome] = useState<EmergencyOutcome[] | undefined>(undefined)
  const request = useRef<Promise<EmergencyWorkspace[]> | undefined>(undefined)
  const action = useAction()

  useEffect(() => {
    if (token === undefined) return
    let isCurrent = true
    request.current ??= previewEmergency(client, token)
    request.current.then(
      (workspaces) => {
        if (isCurrent) setPreview({ status: 'ready', workspaces })
      },
      (error: unknown) => {
        if (isCurrent) setPreview({ status: 'failed', error: asApiError(error) })
      },
    )
    return () => {
      isCurrent = false
    }
    // Once per page: the token does not change.
  }, [])

  const lock = () => {
    if (token === undefined) return
    void action.run(async () => {
      setOutcome(await emergencyLockdown(client, token))
      recheckSession() // this browser's session ends too when it belongs to a member
    })
  }

  const lockable = preview.status === 'ready' ? preview.workspaces : []
  return (
    <section className="card" aria-labelledby="emergency-title">
      <PageHeading id="emergency-title" title="Emergency lockdown" />
      <div className="card__intro">
        <p>If you think someone else is using your account or your exchange keys, lock everything down now. You do not need to sign in.</p>
      </div>
      {token === undefined ? (
        <MissingToken what="with the emergency link" />
      ) : outcome !== undefined ? (
        <Done title="Locked down">
          <ul className="lockdown-dialog__list">
            {outcome.map((workspace) => (
              <li key={workspace.id}>
                <strong>{workspace.name}</strong>: {workspace.error === null ? 'locked down. Every key refuses, bots are stopped, everyone is signed out.' : `not locked — ${workspace.error}`}
              </li>
            ))}
          </ul>
          <p>Every member was emailed. Sign in to follow the incident and, when it is safe, unlock with your password, second factor and an emailed confirmation.</p>
        </Done>
      ) : preview.status === 'loading' ? (
        <p role="status">Checking the link…</p>
      ) : preview.status === 'failed' ? (
        <>
          <ErrorNotice error={preview.error} />
          <p className="hint">Each emergency link works once and expires after a week. If you are signed in, use the red “Lock everything down” button instead.</p>
        </>
      ) : lockable.length === 0 ? (
        <p className="empty">Your account is not an owner, admin or trader of any workspace, so there is nothing to lock down.</p>
      ) : (
        <>
          <p>This will, at once, in every workspace below:</p>
          <ul className="lockdown-dialog__list">
            <li>disable every exchange key in the signer, so it refuses every request;</li>
            <li>stop every bot and Smart Trade, and handle open orders as the workspace is set up to;</li>
            <li>sign everyone out and stop the workspace's API tokens;</li>
            <li>alert and email every member.</li>
          </ul>
          <ul className="rows" aria-label="Workspaces to lock down">
            {lockable.map((workspace) => (
              <li key={workspace.id} className="row">
                <div className="row__main">
                  <p className="row__title">
                    {workspace.name} <span className="tag">{workspace.role}</span>
                    {workspace.locked ? <span className="tag">already locked down</span> : null}
                  </p>
                </div>
              </li>
            ))}
          </ul>
          <p className="hint">Unlocking later needs your password, a second factor, an emailed confirmation and a waiting period.</p>
          <ActionProblem action={action} kind="link" />
          <div className="form__actions form__actions--spaced">
            <button type="button" className="button button--danger" onClick={lock} disabled={action.isBusy}>
              {action.isBusy ? 'Locking down…' : 'Lock everything down now'}
            </button>
          </div>
        </>
      )}
      {outcome !== undefined || token === undefined ? (
        <div className="form__actions form__actions--spaced">
          <ContinueLink />
        </div>
      ) : null}
    </section>
  )
}

/** Step two of an unlock: the link emailed to whoever asked. Acts only on the button, like every link that changes state. */
const ConfirmUnlockPage = () => {
  const { client } = useAppSession()
  const token = useEmailToken()
  const [result, setResult] = useState<UnlockConfirmed | undefined>(undefined)
  const action = useAction()

  const confirm = () => {
    if (token === undefined) return
    void action.run(async () => {
      setResult(await confirmUnlock(client, token))
    })
  }

  return (
    <section className="card" aria-labelledby="confirm-unlock-title">
      <PageHeading id="confirm-unlock-title" title="Confirm the unlock" />
      <div className="card__intro">
        <p>You asked to unlock a workspace after a lockdown. Confirm it only if that was you and the danger is over.</p>
      </div>
      {token === undefined ? (
        <MissingToken what="that confirms the unlock" />
      ) : result !== undefined && result.approval !== null ? (
        <Done title="Unlock confirmed: waiting for approval">
          <p>{waitingSentence(result.approval)}</p>
          <p>The workspace stays locked until then. Owners and admins find the request under Approvals once they sign in.</p>
        </Done>
      ) : result !== undefined ? (
        <Done title={result.state === 'resolved' ? 'Workspace unlocked' : 'Unlock confirmed'}>
          <p>
            {result.state === 'resolved'
              ? 'The workspace is open again. Its keys stay disabled: bring them back one at a time on the incident page.'
              : `The workspace opens after the waiting period, at ${formatDateTime(result.unlockNotBefore)}. A new lockdown before then cancels the unlock. Keys then come back one at a time on the incident page.`}
          </p>
        </Done>
      ) : (
        <>
          <ActionProblem action={action} kind="link" />
          <div className="form__actions form__actions--spaced">
            <button type="button" className="button button--primary" onClick={confirm} disabled={action.isBusy}>
              {action.isBusy ? 'Confirming…' : 'Confirm the unlock'}
            </button>
          </div>
        </>
      )}
      {result !== undefined || token === undefined ? (
        <div className="form__actions form__actions--spaced">
          <ContinueLink />
        </div>
      ) : null}
    </section>
  )
}

export const EmailLinkRoute = ({ route }: { route: EmailLinkRouteName }) => {
  switch (route) {
    case 'resetPassword':
      return <ResetPasswordPage />
    case 'verifyEmail':
      return <AutomaticLinkPage id="verify-email" link={verifyEmailLink} />
    case 'confirmEmail':
      return <AutomaticLinkPage id="confirm-email" link={confirmEmailLink} />
    case 'unlock':
      return <ConfirmedLinkPage id="unlock" link={unlockLink} />
    case 'notMe':
      return <ConfirmedLinkPage id="not-me" link={notMeLink} />
    case 'emergencyLockdown':
      return <EmergencyLockdownPage />
    case 'confirmUnlock':
      return <ConfirmUnlockPage />
    case 'lockedDown':
      return <LockedDownPage />
    case 'invite':
      return (
        <LazyPage loadingLabel="Loading the invitation">
          <InvitePage />
        </LazyPage>
      )
  }
}

import { useState } from 'react'
import { endOtherSessions, endSession } from '../../api/account/mutations'
import { fetchSessions } from '../../api/account/queries'
import { ActionError } from '../../components/action-error'
import { Notice } from '../../components/notice'
import { ResourceView } from '../../components/resource-view'
import { StatusBadge } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import { plural } from '../../lib/account-format'
import type { SessionView } from '../../lib/account-parsers'
import { useAppSession, useClientResource } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { SectionCard } from './section-card'

const currentFirst = (sessions: readonly SessionView[]): SessionView[] =>
  [...sessions].sort((a, b) => Number(b.isCurrent) - Number(a.isCurrent) || b.lastSeenAt.localeCompare(a.lastSeenAt))

const SessionRow = ({ session, onEnded }: { session: SessionView; onEnded: () => void }) => {
  const { client } = useAppSession()
  const action = useAction()
  const where = [session.ip ?? 'unknown address', session.place].filter((part) => part !== null).join(' · ')
  return (
    <li className="row">
      <div className="row__main">
        <p className="row__title">
          {session.device} {session.isCurrent ? <StatusBadge tone="ok" label="This session" /> : null}
        </p>
        <p className="row__meta">
          {where} · last seen <TimeText iso={session.lastSeenAt} /> · signed in <TimeText iso={session.createdAt} />
        </p>
        <ActionError action={action} />
      </div>
      {session.isCurrent ? null : (
        <div className="row__actions">
          <button
            type="button"
            className="button button--secondary button--small"
            aria-label={`End session on ${session.device}${session.ip === null ? '' : ` (${session.ip})`}`}
            disabled={action.isBusy}
            onClick={() =>
              void action.run(async () => {
                await endSession(client, session.id)
                onEnded()
              })
            }
          >
            End session
          </button>
        </div>
      )}
    </li>
  )
}

/** Where the account is signed in; end one session or all but this one. */
export const SessionsSection = () => {
  const { client } = useAppSession()
  const sessions = useClientResource(fetchSessions)
  const [notice, setNotice] = useState<string | undefined>(undefined)
  const action = useAction()

  const endOthers = () =>
    void action.run(async () => {
      const count = await endOtherSessions(client)
      setNotice(count === 0 ? 'There were no other sessions.' : `Ended ${plural(count, 'other session', 'other sessions')}.`)
      sessions.reload()
    })

  return (
    <SectionCard id="sessions" title="Sessions" intro="Browsers where your account is signed in now. End any you do not recognise, then change your password.">
      {notice === undefined ? null : <Notice tone="success">{notice}</Notice>}
      <ResourceView resource={sessions.resource} loadingLabel="Loading sessions" onRetry={sessions.reload}>
        {(list) => (
          <ul className="rows" aria-label="Your sessions">
            {currentFirst(list).map((session) => (
              <SessionRow key={session.id} session={session} onEnded={sessions.reload} />
            ))}
          </ul>
        )}
      </ResourceView>
      <ActionError action={action} />
      <div className="form__actions">
        <button type="button" className="button button--secondary" onClick={endOthers} disabled={action.isBusy}>
          End all other sessions
        </button>
      </div>
    </SectionCard>
  )
}

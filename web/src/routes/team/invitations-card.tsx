import { useCallback, useId, useRef, useState, type FormEvent } from 'react'
import { inviteMember, revokeInvitation } from '../../api/team/mutations'
import { fetchInvitations } from '../../api/team/queries'
import { ActionError } from '../../components/action-error'
import { ConfirmAction } from '../../components/confirm-action'
import { Notice } from '../../components/notice'
import { ResourceView } from '../../components/resource-view'
import { SelectField } from '../../components/select-field'
import { StatusBadge } from '../../components/status-badge'
import { TextField } from '../../components/text-field'
import { TimeText } from '../../components/time-text'
import type { Workspace } from '../../lib/account-parsers'
import { emailProblem } from '../../lib/account-validation'
import { fieldErrorOf } from '../../lib/api'
import { useAppSession } from '../../lib/session-context'
import { invitableRolesFor, invitationIsOpen, invitationStateText, roleDescription, roleLabel } from '../../lib/team-format'
import { invitableRoles, type Invitation, type InvitableRole } from '../../lib/team-parsers'
import { useAction } from '../../lib/use-action'
import { useResource } from '../../lib/use-resource'

const inviteFieldLabels = { email: 'Email', role: 'Role' } as const

type InviteFormProps = { workspace: Workspace; approvalsRequired: boolean; hasOtherApprover: boolean; onInvited: () => void }

const InviteForm = ({ workspace, approvalsRequired, hasOtherApprover, onInvited }: InviteFormProps) => {
  const { client } = useAppSession()
  const ids = useId()
  const choices = invitableRolesFor(workspace.role)
  const [email, setEmail] = useState('')
  const [role, setRole] = useState<InvitableRole>('viewer')
  const [problem, setProblem] = useState<string | undefined>(undefined)
  const [sent, setSent] = useState<Invitation | undefined>(undefined)
  const emailRef = useRef<HTMLInputElement>(null)
  const action = useAction()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setSent(undefined)
    const found = emailProblem(email)
    setProblem(found)
    if (found !== undefined) return emailRef.current?.focus()
    void action.run(async () => {
      setSent(await inviteMember(client, workspace.id, { email: email.trim(), role }))
      setEmail('')
      onInvited()
    })
  }

  return (
    <form className="form form--spaced" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label="Invite someone">
      <div className="team-invite">
        <TextField
          id={`${ids}-email`}
          name="email"
          type="email"
          label="Email"
          autoComplete="off"
          spellCheck={false}
          value={email}
          error={problem ?? fieldErrorOf(action.error, 'email')}
          ref={emailRef}
          onChange={(event) => {
            setEmail(event.target.value)
            setProblem(undefined)
          }}
        />
        <SelectField
          id={`${ids}-role`}
          name="role"
          label="Role"
          help={roleDescription[role]}
          value={role}
          error={fieldErrorOf(action.error, 'role')}
          onChange={(event) => setRole(invitableRoles.find((option) => option === event.target.value) ?? 'viewer')}
        >
          {choices.map((option) => (
            <option key={option} value={option}>
              {roleLabel[option]}
            </option>
          ))}
        </SelectField>
      </div>
      {approvalsRequired && role !== 'viewer' ? (
        <p className="hint">
          Four-eyes approvals are on: they join as a viewer, and {role === 'admin' ? 'admin' : 'trader'} rights wait for a second owner or admin to approve them.
          {hasOtherApprover
            ? ''
            : ' You are the only owner or admin, so nobody could: turn approvals off in the workspace policies while you invite your first admin, then on again.'}
        </p>
      ) : null}
      <ActionError action={action} fields={inviteFieldLabels} />
      {sent === undefined ? null : (
        <Notice tone="success">
          <p className="notice__message">
            Invitation sent to {sent.email} as {roleLabel[sent.role].toLowerCase()}.
          </p>
          <p>
            The link in it works once, until <TimeText iso={sent.expiresAt} />, and only for an account with that address.
          </p>
        </Notice>
      )}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Sending…' : 'Send invitation'}
        </button>
      </div>
    </form>
  )
}

const InvitationRow = ({ workspace, invitation, onRevoked }: { workspace: Workspace; invitation: Invitation; onRevoked: () => void }) => {
  const { client } = useAppSession()
  const action = useAction()
  const isOpen = invitationIsOpen(invitation, new Date())
  const state = invitation.state === 'pending' && !isOpen ? 'expired' : invitation.state
  return (
    <li className="row">
      <div className="row__main">
        <p className="row__title">
          {invitation.email} <span className="tag">{roleLabel[invitation.role]}</span>
          <StatusBadge tone={state === 'pending' ? 'pending' : state === 'accepted' ? 'ok' : 'warn'} label={invitationStateText[state]} />
        </p>
        <p className="row__meta">
          Sent <TimeText iso={invitation.createdAt} />
          {invitation.invitedBy === null ? null : <> by {invitation.invitedBy}</>}
          {isOpen ? (
            <>
              {' '}
              · expires <TimeText iso={invitation.expiresAt} />
            </>
          ) : null}
        </p>
        <ActionError action={action} />
      </div>
      {isOpen ? (
        <div className="row__actions">
          <ConfirmAction
            label="Revoke"
            accessibleLabel={`Revoke the invitation of ${invitation.email}`}
            question={`Revoke the invitation of ${invitation.email}? Its link stops working.`}
            confirmLabel="Yes, revoke"
            isBusy={action.isBusy}
            onConfirm={() =>
              void action.run(async () => {
                await revokeInvitation(client, workspace.id, invitation.id)
                onRevoked()
              })
            }
          />
        </div>
      ) : null}
    </li>
  )
}

/** Invite by email (owners and admins); the invitations sent, pending ones first, with Revoke. */
type CardProps = {
  workspace: Workspace
  /** The workspace asks for four-eyes approvals: an invitation above viewer joins as viewer first. */
  approvalsRequired: boolean
  /** Someone besides the caller could approve that role (an owner or admin). */
  hasOtherApprover: boolean
}

export const InvitationsCard = ({ workspace, approvalsRequired, hasOtherApprover }: CardProps) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchInvitations(client, workspace.id, signal), [client, workspace.id])
  const invitations = useResource(load)
  return (
    <section className="card" aria-labelledby="invitations-title">
      <h3 id="invitations-title" className="card__title">
        Invite someone
      </h3>
      <p className="card__intro">
        Bulwark emails them a link that works once, for 7 days, and only for an account with that address. {workspace.role === 'owner' ? '' : 'Only owners invite admins.'}
      </p>
      <InviteForm workspace={workspace} approvalsRequired={approvalsRequired} hasOtherApprover={hasOtherApprover} onInvited={invitations.reload} />
      <h4 className="subsection__title team-subtitle">Invitations</h4>
      <ResourceView resource={invitations.resource} loadingLabel="Loading invitations" onRetry={invitations.reload}>
        {(list) => {
          const now = new Date()
          const shown = [...list].sort((a, b) => Number(invitationIsOpen(b, now)) - Number(invitationIsOpen(a, now)) || b.createdAt.localeCompare(a.createdAt))
          return shown.length === 0 ? (
            <p className="empty">No invitations yet.</p>
          ) : (
            <ul className="rows" aria-label="Invitations">
              {shown.map((invitation) => (
                <InvitationRow key={invitation.id} workspace={workspace} invitation={invitation} onRevoked={invitations.reload} />
              ))}
            </ul>
          )
        }}
      </ResourceView>
    </section>
  )
}

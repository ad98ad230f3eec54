import { useCallback, useState } from 'react'
import { fetchExchangeAccounts } from '../../api/exchanges/queries'
import { fetchPolicies } from '../../api/policies/queries'
import { leaveWorkspace, removeMember } from '../../api/team/mutations'
import { fetchMembers } from '../../api/team/queries'
import { ActionError } from '../../components/action-error'
import { ApprovalWaiting } from '../../components/approval-waiting'
import { ConfirmAction } from '../../components/confirm-action'
import { DataTable } from '../../components/data-table'
import { Link } from '../../components/link'
import { PageHeading } from '../../components/page-heading'
import { ResourceView } from '../../components/resource-view'
import { StatusBadge } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import type { Workspace } from '../../lib/account-parsers'
import type { ExchangeAccount } from '../../lib/exchange-parsers'
import { useLiveTopics } from '../../lib/live-events'
import { routePaths } from '../../lib/router'
import { useAppSession } from '../../lib/session-context'
import { accountsText, assignableRoles, canRemove, isLimitedByTwoFactor, isOwnerOrAdminRole, memberName, roleLabel } from '../../lib/team-format'
import type { Approval, Member, WorkspacePolicies } from '../../lib/team-parsers'
import { useAction } from '../../lib/use-action'
import { navigate } from '../../lib/use-route'
import { useResource } from '../../lib/use-resource'
import { NoWorkspace } from '../monitoring/no-workspace'
import { InvitationsCard } from './invitations-card'
import { MemberEditor } from './member-editor'
import { WorkspaceCard } from './workspace-card'
import './team.css'

type RowProps = {
  workspace: Workspace
  member: Member
  policies: WorkspacePolicies | undefined
  accountLabels: ReadonlyMap<string, string>
  isEditing: boolean
  onEdit: () => void
  onRemoved: () => void
}

const MemberRow = ({ workspace, member, policies, accountLabels, isEditing, onEdit, onRemoved }: RowProps) => {
  const { client } = useAppSession()
  const action = useAction()
  // Removing an owner may wait for another owner (four-eyes): the row stays until it is approved.
  const [waiting, setWaiting] = useState<Approval | undefined>(undefined)
  const name = memberName(member)
  const mayEdit = assignableRoles(workspace.role, member).length > 0
  return (
    <tr>
      <th scope="row">
        <div className="team-member">
          <span className="team-member__name">
            {name}
            {member.isYou ? <span className="tag">You</span> : null}
          </span>
          <span className="team-member__email">{member.email}</span>
        </div>
      </th>
      <td>
        <span className="team-role">
          {roleLabel[member.role]}
          {isLimitedByTwoFactor(member, policies) ? <StatusBadge tone="warn" label="Limited to viewer until 2FA" /> : null}
        </span>
      </td>
      <td>
        {member.hasSecondFactor === null ? (
          <span title="Only owners, admins and the member themselves see this">—</span>
        ) : (
          <span className="team-badges">
            <StatusBadge tone={member.hasSecondFactor ? 'ok' : 'pending'} label={member.hasSecondFactor ? '2FA on' : 'No 2FA'} />
            {member.hasPasskey === true ? <StatusBadge tone="ok" label="Passkey" /> : null}
          </span>
        )}
      </td>
      <td className="cell-wrap">{accountsText(member, accountLabels)}</td>
      <td>
        <TimeText iso={member.joinedAt} />
      </td>
      <td>
        <div className="row__actions">
          {mayEdit ? (
            <button type="button" className="button button--secondary button--small" aria-label={`Change role and accounts of ${name}`} aria-expanded={isEditing} onClick={onEdit}>
              Edit
            </button>
          ) : null}
          {canRemove(workspace.role, member) ? (
            <ConfirmAction
              label="Remove"
              accessibleLabel={`Remove ${name}`}
              question={`Remove ${name} from ${workspace.name}? Their access, API tokens and open requests here end at once.`}
              confirmLabel="Yes, remove"
              isBusy={action.isBusy}
              onConfirm={() =>
                void action.run(async () => {
                  const result = await removeMember(client, workspace.id, member.userId)
                  if (result.status === 'pending') setWaiting(result.approval)
                  onRemoved()
                })
              }
            />
          ) : null}
        </div>
        <ActionError action={action} />
        {waiting === undefined ? null : <ApprovalWaiting approval={waiting} />}
      </td>
    </tr>
  )
}

const LeaveCard = ({ workspace }: { workspace: Workspace }) => {
  const { client, refreshMe } = useAppSession()
  const action = useAction()
  return (
    <section className="card" aria-labelledby="leave-title">
      <h3 id="leave-title" className="card__title">
        Leave {workspace.name}
      </h3>
      <p className="card__intro">
        You lose access at once, with your API tokens for it. {workspace.role === 'owner' ? 'The last owner cannot leave: make someone else owner first.' : ''}
      </p>
      <ActionError action={action} />
      <div className="form__actions form__actions--spaced">
        <ConfirmAction
          label="Leave workspace"
          question={`Leave ${workspace.name}? Someone has to invite you again to come back.`}
          confirmLabel="Yes, leave"
          isBusy={action.isBusy}
          onConfirm={() =>
            void action.run(async () => {
              await leaveWorkspace(client, workspace.id)
              await refreshMe()
              navigate(routePaths.home)
            })
          }
        />
      </div>
    </section>
  )
}

const WorkspaceTeam = ({ workspace, onChanged }: { workspace: Workspace; onChanged: () => void }) => {
  const { client } = useAppSession()
  const loadMembers = useCallback((signal: AbortSignal) => fetchMembers(client, workspace.id, signal), [client, workspace.id])
  const members = useResource(loadMembers)
  const loadPolicies = useCallback((signal: AbortSignal) => fetchPolicies(client, workspace.id, signal), [client, workspace.id])
  const policies = useResource(loadPolicies)
  const loadAccounts = useCallback((signal: AbortSignal) => fetchExchangeAccounts(client, workspace.id, signal), [client, workspace.id])
  const accounts = useResource(loadAccounts)
  useLiveTopics(['members'], members.reload)
  useLiveTopics(['accounts'], accounts.reload)
  const [editingId, setEditingId] = useState<string | undefined>(undefined)
  const isManager = isOwnerOrAdminRole(workspace.role)

  const accountList: readonly ExchangeAccount[] = accounts.resource.status === 'success' ? accounts.resource.data : []
  const accountLabels = new Map(accountList.map((account) => [account.id, account.label]))
  const policyView = policies.resource.status === 'success' ? policies.resource.data : undefined

  const changed = () => {
    members.reload()
    onChanged()
  }

  return (
    <>
      <section className="card" aria-labelledby="members-title">
        <h3 id="members-title" className="card__title">
          Members of {workspace.name}
        </h3>
        <p className="card__intro">
          {isManager
            ? 'Owners and admins change roles and the accounts a trader may trade on. Admins never change owners; nobody changes their own role.'
            : 'Who can do what here. Owners and admins manage members.'}
        </p>
        <ResourceView resource={members.resource} loadingLabel="Loading members" onRetry={members.reload}>
          {(list) => (
            <DataTable label="Members" head={['Member', 'Role', 'Sign-in', 'Trades on', 'Joined', '']} spaced>
              {list.map((member) => (
                <MemberRow
                  key={member.userId}
                  workspace={workspace}
                  member={member}
                  policies={policyView}
                  accountLabels={accountLabels}
                  isEditing={editingId === member.userId}
                  onEdit={() => setEditingId(editingId === member.userId ? undefined : member.userId)}
                  onRemoved={() => {
                    if (editingId === member.userId) setEditingId(undefined)
                    changed()
                  }}
                />
              ))}
            </DataTable>
          )}
        </ResourceView>
        {policyView?.requireTwoFactor === true ? (
          <p className="hint">This workspace requires two-factor sign-in: a member without it acts as a viewer until they turn it on.</p>
        ) : null}
      </section>
      {members.resource.status === 'success'
        ? (() => {
            const editing = members.resource.data.find((member) => member.userId === editingId)
            return editing === undefined ? null : (
              <MemberEditor key={editing.userId} workspace={workspace} member={editing} accounts={accountList} onSaved={changed} onClose={() => setEditingId(undefined)} />
            )
          })()
        : null}
      {isManager ? (
        <InvitationsCard
          workspace={workspace}
          approvalsRequired={policyView?.approvalsRequired ?? false}
          hasOtherApprover={members.resource.status === 'success' && members.resource.data.some((member) => !member.isYou && isOwnerOrAdminRole(member.role))}
        />
      ) : null}
      {workspace.role === 'owner' ? <WorkspaceCard workspace={workspace} /> : null}
      <LeaveCard workspace={workspace} />
    </>
  )
}

type Props = {
  workspace: Workspace | undefined
  /** Opens the "New workspace" dialog of the shell. */
  onCreateWorkspace: () => void
  /** Something changed that the navigation counts (a request waiting for approval). */
  onChanged: () => void
}

/** The people of the workspace: members and their roles and accounts, invitations, the workspace itself, leaving. */
export const TeamPage = ({ workspace, onCreateWorkspace, onChanged }: Props) => (
  <div className="team-page">
    <div className="page-intro">
      <PageHeading id="team-title" title="Team" className="page-title" />
      <p className="card__intro">Who works in {workspace?.name ?? 'this workspace'}, what each person may do, and who is invited.</p>
      <p className="card__links team-links">
        <Link to={routePaths.approvals}>Approvals</Link>
        <Link to={routePaths.policies}>Workspace policies</Link>
        <button type="button" className="button button--secondary button--small" onClick={onCreateWorkspace}>
          New workspace
        </button>
      </p>
    </div>
    {workspace === undefined ? <NoWorkspace what="is no team to show" /> : <WorkspaceTeam key={workspace.id} workspace={workspace} onChanged={onChanged} />}
  </div>
)

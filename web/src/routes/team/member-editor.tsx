import { useId, useState, type FormEvent } from 'react'
import { updateMember } from '../../api/team/mutations'
import { ActionError } from '../../components/action-error'
import { ApprovalWaiting } from '../../components/approval-waiting'
import { Notice } from '../../components/notice'
import { SelectField } from '../../components/select-field'
import type { Workspace } from '../../lib/account-parsers'
import type { ExchangeAccount } from '../../lib/exchange-parsers'
import { useAppSession } from '../../lib/session-context'
import { assignableRoles, isRoleUpgrade, memberName, memberPatch, roleDescription, roleLabel } from '../../lib/team-format'
import { roles, type AccountScope, type Gated, type Member, type Role } from '../../lib/team-parsers'
import { useAction } from '../../lib/use-action'
import { useFocusOnMount } from '../../lib/use-focus'

type Props = {
  workspace: Workspace
  member: Member
  /** The workspace's exchange accounts (not removed): what a trader may be limited to. */
  accounts: readonly ExchangeAccount[]
  onSaved: () => void
  onClose: () => void
}

/**
 * A member's role and, for a trader, the exchange accounts they may trade on. Only what changed is sent.
 * Fewer rights apply at once; more rights may come back as a request waiting for a second owner or admin
 * (R42), shown as such — the table keeps the old role until it is approved.
 */
export const MemberEditor = ({ workspace, member, accounts, onSaved, onClose }: Props) => {
  const { client } = useAppSession()
  const ids = useId()
  const name = memberName(member)
  const choices = assignableRoles(workspace.role, member)
  const [role, setRole] = useState<Role>(member.role)
  const [scope, setScope] = useState<AccountScope>(member.role === 'trader' ? member.accountScope : 'all')
  const [granted, setGranted] = useState<ReadonlySet<string>>(() => new Set(member.exchangeAccountIds))
  const [outcome, setOutcome] = useState<Gated<Member> | 'unchanged' | undefined>(undefined)
  const action = useAction()
  const headingRef = useFocusOnMount<HTMLHeadingElement>()

  const toggle = (id: string, isOn: boolean) =>
    setGranted((previous) => {
      const next = new Set(previous)
      if (isOn) next.add(id)
      else next.delete(id)
      return next
    })

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const patch = memberPatch(member, { role, accountScope: scope, exchangeAccountIds: [...granted] })
    if (patch === undefined) {
      setOutcome('unchanged')
      return
    }
    setOutcome(undefined)
    void action.run(async () => {
      setOutcome(await updateMember(client, workspace.id, member.userId, patch))
      onSaved()
    })
  }

  return (
    <section className="card team-editor" aria-labelledby={`${ids}-title`}>
      <h3 id={`${ids}-title`} className="card__title" tabIndex={-1} ref={headingRef}>
        Role and accounts of {name}
      </h3>
      <p className="card__intro">{member.email}</p>
      <form className="form form--spaced" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label={`Change ${name}`}>
        <SelectField
          id={`${ids}-role`}
          name="role"
          label="Role"
          help={roleDescription[role]}
          value={role}
          onChange={(event) => {
            setRole(roles.find((option) => option === event.target.value) ?? member.role)
            setOutcome(undefined)
          }}
        >
          {roles
            .filter((option) => option === member.role || choices.includes(option))
            .map((option) => (
              <option key={option} value={option}>
                {roleLabel[option]}
              </option>
            ))}
        </SelectField>
        {role === 'trader' ? (
          <fieldset className="choices choices--stacked">
            <legend className="field__label">Exchange accounts {name} may trade on</legend>
            <label className="choice">
              <input type="radio" name={`${ids}-scope`} value="all" checked={scope === 'all'} onChange={() => setScope('all')} />
              All exchange accounts of {workspace.name}
            </label>
            <label className="choice">
              <input type="radio" name={`${ids}-scope`} value="granted" checked={scope === 'granted'} onChange={() => setScope('granted')} />
              Only the accounts ticked below
            </label>
          </fieldset>
        ) : null}
        {role === 'trader' && scope === 'granted' ? (
          accounts.length === 0 ? (
            <p className="empty">This workspace has no exchange accounts yet: connect one on the Exchanges page first.</p>
          ) : (
            <fieldset className="choices choices--stacked team-editor__accounts">
              <legend className="field__label">Accounts</legend>
              {accounts.map((account) => (
                <label key={account.id} className="checkbox">
                  <input type="checkbox" checked={granted.has(account.id)} onChange={(event) => toggle(account.id, event.target.checked)} />
                  {account.label} <span className="tag">{account.exchange}</span>
                </label>
              ))}
              <p className="field__help">Demo accounts are never limited. {name} still sees every account's orders and bots.</p>
            </fieldset>
          )
        ) : null}
        {isRoleUpgrade(member.role, role) ? (
          <p className="hint">More rights: when this workspace asks for four-eyes approvals, a second owner or admin approves it before it applies.</p>
        ) : null}
        <ActionError action={action} />
        {outcome === 'unchanged' ? <Notice tone="info">Nothing to save: change the role or the accounts first.</Notice> : null}
        {outcome !== undefined && outcome !== 'unchanged' ? (
          outcome.status === 'pending' ? (
            <ApprovalWaiting approval={outcome.approval} />
          ) : (
            <Notice tone="success">
              Saved: {name} is {roleLabel[outcome.value.role].toLowerCase()}
              {outcome.value.role === 'trader' && outcome.value.accountScope === 'granted' ? ' on the accounts ticked' : ''}. It applies to their next request.
            </Notice>
          )
        ) : null}
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={action.isBusy}>
            {action.isBusy ? 'Saving…' : 'Save changes'}
          </button>
          <button type="button" className="button button--secondary" onClick={onClose}>
            Close
          </button>
        </div>
      </form>
    </section>
  )
}

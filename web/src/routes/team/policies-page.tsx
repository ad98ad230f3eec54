import { useCallback, useId, useState, type FormEvent, type ReactNode } from 'react'
import { updatePolicies } from '../../api/policies/mutations'
import { fetchPolicies } from '../../api/policies/queries'
import { ActionError } from '../../components/action-error'
import { ApprovalWaiting } from '../../components/approval-waiting'
import { Notice } from '../../components/notice'
import { PageHeading } from '../../components/page-heading'
import { ResourceView } from '../../components/resource-view'
import { StatusBadge } from '../../components/status-badge'
import { TextAreaField } from '../../components/text-area-field'
import { TextField } from '../../components/text-field'
import type { Workspace } from '../../lib/account-parsers'
import { plural } from '../../lib/account-format'
import { fieldErrorOf } from '../../lib/api'
import {
  IDLE_MINUTES_MAX,
  IDLE_MINUTES_MIN,
  ROTATION_DAYS_MAX,
  ROTATION_DAYS_MIN,
  policyDraftFrom,
  policyPatchFrom,
  type PolicyDraft,
  type PolicyErrors,
} from '../../lib/policy-draft'
import { useAppSession } from '../../lib/session-context'
import { approvalsOffWarning } from '../../lib/team-format'
import type { Gated, WorkspacePolicies } from '../../lib/team-parsers'
import { useAction } from '../../lib/use-action'
import { useResource } from '../../lib/use-resource'
import { NoWorkspace } from '../monitoring/no-workspace'
import './team.css'

const policyFieldLabels = {
  sessionIdleMinutes: 'Sign out after idle (minutes)',
  allowedIpRanges: 'Allowed IP ranges',
  keyRotationDays: 'Rotate keys every (days)',
} as const

const withoutSecondFactorText = (policies: WorkspacePolicies): string | undefined => {
  const { count, names } = policies.membersWithoutSecondFactor
  if (count === 0) return undefined
  const who = names.length > 0 ? ` (${names.join(', ')})` : ''
  return `${plural(count, 'member has', 'members have')} no second factor${who}: while two-factor is required, they act as viewers until they add one.`
}

const Policy = ({ title, children }: { title: string; children: ReactNode }) => (
  <div className="policy">
    <h4 className="policy__title">{title}</h4>
    {children}
  </div>
)

const onOff = (isOn: boolean) => <StatusBadge tone={isOn ? 'ok' : 'pending'} label={isOn ? 'On' : 'Off'} />

/** What members who are not the owner see: the rules they work under. */
const PoliciesView = ({ policies }: { policies: WorkspacePolicies }) => (
  <div className="policy-list">
    <Policy title="Two-factor sign-in for every member">
      <p className="policy__value">{onOff(policies.requireTwoFactor)}</p>
    </Policy>
    <Policy title="Passkey for owners and admins when confirming changes">
      <p className="policy__value">{onOff(policies.requirePasskeyForAdmins)}</p>
    </Policy>
    <Policy title="Sign out after idle">
      <p className="policy__value">{policies.sessionIdleMinutes === null ? 'The platform default' : plural(policies.sessionIdleMinutes, 'minute', 'minutes')}</p>
    </Policy>
    <Policy title="Allowed IP ranges">
      {policies.allowedIpRanges.length === 0 ? (
        <p className="policy__value">Any address</p>
      ) : (
        <ul className="policy-ranges" aria-label="Allowed IP ranges">
          {policies.allowedIpRanges.map((range) => (
            <li key={range}>{range}</li>
          ))}
        </ul>
      )}
    </Policy>
    <Policy title="Key rotation">
      <p className="policy__value">Every {plural(policies.keyRotationDays, 'day', 'days')}</p>
    </Policy>
    <Policy title="Only IP-restricted exchange keys">
      <p className="policy__value">{onOff(policies.refuseIpUnrestrictedKeys)}</p>
    </Policy>
    <Policy title="Four-eyes approvals for high-risk changes">
      <p className="policy__value">{onOff(policies.approvalsRequired)}</p>
    </Policy>
  </div>
)

type CheckboxProps = { id: string; label: string; help: string; checked: boolean; disabled?: boolean; onChange: (checked: boolean) => void }

const PolicyCheckbox = ({ id, label, help, checked, disabled = false, onChange }: CheckboxProps) => (
  <div className="field">
    <label className="checkbox" htmlFor={id}>
      <input id={id} type="checkbox" checked={checked} disabled={disabled} aria-describedby={`${id}-help`} onChange={(event) => onChange(event.target.checked)} />
      {label}
    </label>
    <p className="field__help" id={`${id}-help`}>
      {help}
    </p>
  </div>
)

/** The owner's form: tightening applies at once; relaxing may wait for a second owner. */
const PoliciesForm = ({ workspace, policies, onSaved }: { workspace: Workspace; policies: WorkspacePolicies; onSaved: () => void }) => {
  const { client } = useAppSession()
  const ids = useId()
  const [draft, setDraft] = useState<PolicyDraft>(() => policyDraftFrom(policies))
  const [errors, setErrors] = useState<PolicyErrors>({})
  const [outcome, setOutcome] = useState<Gated<WorkspacePolicies> | 'unchanged' | undefined>(undefined)
  const action = useAction()

  const update = <K extends keyof PolicyDraft>(key: K, value: PolicyDraft[K]) => {
    setDraft((previous) => ({ ...previous, [key]: value }))
    setErrors((previous) => ({ ...previous, [key]: undefined }))
    setOutcome(undefined)
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const checked = policyPatchFrom(policies, draft)
    if (!checked.ok) {
      setErrors(checked.errors)
      const first = (['sessionIdleMinutes', 'allowedIpRanges', 'keyRotationDays'] as const).find((field) => checked.errors[field] !== undefined)
      if (first !== undefined) document.getElementById(`${ids}-${first}`)?.focus()
      return
    }
    setErrors({})
    const { patch } = checked
    if (patch === undefined) {
      setOutcome('unchanged')
      return
    }
    void action.run(async () => {
      const result = await updatePolicies(client, workspace.id, patch)
      setOutcome(result)
      if (result.status === 'applied') setDraft(policyDraftFrom(result.value))
      onSaved()
    })
  }

  const cannotTurnOff = policies.approvalsRequired && !policies.canTurnOffApprovals
  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label="Workspace policies">
      <PolicyCheckbox
        id={`${ids}-2fa`}
        label="Require two-factor sign-in for every member"
        help="A member without an authenticator app or a passkey acts as a viewer until they add one."
        checked={draft.requireTwoFactor}
        onChange={(checked) => update('requireTwoFactor', checked)}
      />
      <PolicyCheckbox
        id={`${ids}-passkey`}
        label="Owners and admins confirm changes with a passkey"
        help="A stolen password or authenticator code is then not enough to approve or change anything."
        checked={draft.requirePasskeyForAdmins}
        onChange={(checked) => update('requirePasskeyForAdmins', checked)}
      />
      <TextField
        id={`${ids}-sessionIdleMinutes`}
        label={policyFieldLabels.sessionIdleMinutes}
        help={`${IDLE_MINUTES_MIN} to ${IDLE_MINUTES_MAX}. Empty: the platform's default. Applies to every member's sessions, also those already open.`}
        type="number"
        inputMode="numeric"
        min={IDLE_MINUTES_MIN}
        max={IDLE_MINUTES_MAX}
        className="field__input--short"
        value={draft.sessionIdleMinutes}
        error={errors.sessionIdleMinutes ?? fieldErrorOf(action.error, 'sessionIdleMinutes')}
        onChange={(event) => update('sessionIdleMinutes', event.target.value)}
      />
      <TextAreaField
        id={`${ids}-allowedIpRanges`}
        label={policyFieldLabels.allowedIpRanges}
        help="One address or CIDR range per line, e.g. 203.0.113.0/24. Sign-ins and API tokens from elsewhere are refused. Empty: any address. Your own address must stay inside."
        className="field__input--mono"
        rows={3}
        spellCheck={false}
        value={draft.allowedIpRanges}
        error={errors.allowedIpRanges ?? fieldErrorOf(action.error, 'allowedIpRanges')}
        onChange={(event) => update('allowedIpRanges', event.target.value)}
      />
      <TextField
        id={`${ids}-keyRotationDays`}
        label={policyFieldLabels.keyRotationDays}
        help={`${ROTATION_DAYS_MIN} to ${ROTATION_DAYS_MAX}. The security center reminds you before a key is due.`}
        type="number"
        inputMode="numeric"
        min={ROTATION_DAYS_MIN}
        max={ROTATION_DAYS_MAX}
        className="field__input--short"
        value={draft.keyRotationDays}
        error={errors.keyRotationDays ?? fieldErrorOf(action.error, 'keyRotationDays')}
        onChange={(event) => update('keyRotationDays', event.target.value)}
      />
      <PolicyCheckbox
        id={`${ids}-ip-keys`}
        label="Accept only exchange keys restricted to IP addresses"
        help="A key the exchange does not report as IP-restricted is refused when it is connected."
        checked={draft.refuseIpUnrestrictedKeys}
        onChange={(checked) => update('refuseIpUnrestrictedKeys', checked)}
      />
      <PolicyCheckbox
        id={`${ids}-approvals`}
        label="Four-eyes approvals for high-risk changes"
        help={
          cannotTurnOff
            ? 'Only a workspace with a single owner can turn approvals off.'
            : 'Connecting keys, raising limits, promoting bots, giving more rights, relaxing policies and unlocking wait for a second owner or admin.'
        }
        checked={draft.approvalsRequired}
        disabled={cannotTurnOff}
        onChange={(checked) => update('approvalsRequired', checked)}
      />
      <ActionError action={action} fields={policyFieldLabels} />
      {outcome === 'unchanged' ? <Notice tone="info">Nothing to save: change a policy first.</Notice> : null}
      {outcome !== undefined && outcome !== 'unchanged' ? (
        outcome.status === 'pending' ? <ApprovalWaiting approval={outcome.approval} /> : <Notice tone="success">Saved. The policies apply from the next request.</Notice>
      ) : null}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Saving…' : 'Save policies'}
        </button>
      </div>
    </form>
  )
}

const WorkspacePoliciesCard = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchPolicies(client, workspace.id, signal), [client, workspace.id])
  const policies = useResource(load)
  const isOwner = workspace.role === 'owner'
  return (
    <ResourceView resource={policies.resource} loadingLabel="Loading the policies" onRetry={policies.reload}>
      {(current) => {
        const warning = approvalsOffWarning(current)
        const without = withoutSecondFactorText(current)
        return (
          <>
            {warning === undefined ? null : (
              <div className="notice notice--warning" role="status">
                <p className="notice__message">{warning}</p>
              </div>
            )}
            <section className="card" aria-labelledby="policies-title">
              <h3 id="policies-title" className="card__title">
                Rules for {workspace.name}
              </h3>
              <p className="card__intro">
                {plural(current.memberCount, 'member', 'members')}, {plural(current.ownerCount, 'owner', 'owners')}.{' '}
                {isOwner ? 'Only owners change these.' : 'Only owners change these; they apply to you too.'}
              </p>
              {without === undefined ? null : <p className="hint">{without}</p>}
              <div className="card__body">
                {isOwner ? <PoliciesForm workspace={workspace} policies={current} onSaved={policies.reload} /> : <PoliciesView policies={current} />}
              </div>
            </section>
          </>
        )
      }}
    </ResourceView>
  )
}

/** The workspace's rules: two-factor, passkeys, idle timeout, IP ranges, key rotation and IP-restricted keys, four-eyes approvals. */
export const PoliciesPage = ({ workspace }: { workspace: Workspace | undefined }) => (
  <div className="team-page">
    <div className="page-intro">
      <PageHeading id="policies-title-page" title="Workspace policies" className="page-title" />
      <p className="card__intro">How everyone in {workspace?.name ?? 'the workspace'} signs in, from where, and which changes need a second person.</p>
    </div>
    {workspace === undefined ? <NoWorkspace what="are no policies to show" /> : <WorkspacePoliciesCard key={workspace.id} workspace={workspace} />}
  </div>
)

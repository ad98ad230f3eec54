import { useCallback, useId, useState, type FormEvent } from 'react'
import { setRiskLimits } from '../../api/trading/mutations'
import { fetchRiskLimits, type RiskLimits, type TradingAccountView } from '../../api/trading/queries'
import { ActionError } from '../../components/action-error'
import { ApprovalWaiting } from '../../components/approval-waiting'
import { Notice } from '../../components/notice'
import { ResourceView } from '../../components/resource-view'
import { SelectField } from '../../components/select-field'
import { useAppSession } from '../../lib/session-context'
import type { Approval } from '../../lib/team-parsers'
import { useAction } from '../../lib/use-action'
import { useResource } from '../../lib/use-resource'
import { useFieldRefs } from './field-refs'
import type { FieldErrors } from './form-errors'
import { riskDraftFrom, riskFields, riskLimitsFrom, type RiskDraft } from './risk-draft'
import { RiskFields } from './risk-fields'
import { accountKeyOf, accountRefOf } from './smart-trade-draft'
import { tradingAccountOption } from './trading-format'

type EditorProps = { workspaceId: string; account: TradingAccountView; current: RiskLimits }

const LimitsEditor = ({ workspaceId, account, current }: EditorProps) => {
  const { client } = useAppSession()
  const [draft, setDraft] = useState<RiskDraft>(() => riskDraftFrom(current))
  const [errors, setErrors] = useState<FieldErrors>({})
  const [isSaved, setIsSaved] = useState(false)
  // Raised limits of a real account in a workspace with four-eyes approvals: nothing changed yet.
  const [waiting, setWaiting] = useState<Approval | undefined>(undefined)
  const action = useAction()
  const { register, focusFirstAfterRender } = useFieldRefs()
  const idPrefix = useId()

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    setIsSaved(false)
    setWaiting(undefined)
    const checked = riskLimitsFrom(draft)
    if (!checked.ok) {
      setErrors(checked.errors)
      focusFirstAfterRender(checked.errors, riskFields)
      return
    }
    setErrors({})
    void action.run(async () => {
      const result = await setRiskLimits(client, workspaceId, { kind: account.kind, id: account.id }, checked.limits)
      if (result.status === 'pending') {
        setWaiting(result.approval)
        return
      }
      setDraft(riskDraftFrom(result.value))
      setIsSaved(true)
    })
  }

  return (
    <form className="form trading-form" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label={`Risk limits of ${account.label}`}>
      <RiskFields
        idPrefix={idPrefix}
        draft={draft}
        errors={errors}
        namePrefix=""
        onChange={(patch) => {
          setIsSaved(false)
          setWaiting(undefined)
          setDraft((previous) => ({ ...previous, ...patch }))
        }}
        register={register}
      />
      <ActionError action={action} />
      {isSaved ? <Notice tone="success">Saved. Every bot on {account.label} is held to these limits from its next order.</Notice> : null}
      {waiting === undefined ? null : <ApprovalWaiting approval={waiting} />}
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Saving…' : 'Save limits'}
        </button>
      </div>
    </form>
  )
}

const AccountLimits = ({ workspaceId, account }: { workspaceId: string; account: TradingAccountView }) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchRiskLimits(client, workspaceId, { kind: account.kind, id: account.id }, signal), [client, workspaceId, account.kind, account.id])
  const limits = useResource(load)
  return (
    <ResourceView resource={limits.resource} loadingLabel="Loading the account's limits" onRetry={limits.reload}>
      {(current) => <LimitsEditor workspaceId={workspaceId} account={account} current={current} />}
    </ResourceView>
  )
}

/**
 * Risk limits per account (owners and admins): checked before every order of every bot on it, beside
 * each bot's own; the stricter applies. Empty fields mean no limit of that kind at the account level.
 */
export const AccountRiskPanel = ({ workspaceId, accounts }: { workspaceId: string; accounts: readonly TradingAccountView[] }) => {
  const [selectedKey, setSelectedKey] = useState('')
  const selectId = useId()
  const ref = accountRefOf(selectedKey)
  const account = ref === undefined ? undefined : accounts.find((candidate) => candidate.kind === ref.kind && candidate.id === ref.id)
  if (accounts.length === 0) return null
  return (
    <section className="card stack" aria-labelledby="account-risk-title">
      <h3 id="account-risk-title" className="card__title">
        Risk limits per account
      </h3>
      <p className="card__intro">Checked before every order of every bot on the account, together with the bot's own limits: the stricter applies.</p>
      <SelectField id={selectId} label="Account" value={selectedKey} onChange={(event) => setSelectedKey(event.target.value)}>
        <option value="">Choose an account</option>
        {accounts.map((option) => (
          <option key={accountKeyOf(option)} value={accountKeyOf(option)}>
            {tradingAccountOption(option)}
          </option>
        ))}
      </SelectField>
      {account === undefined ? null : <AccountLimits key={accountKeyOf(account)} workspaceId={workspaceId} account={account} />}
    </section>
  )
}

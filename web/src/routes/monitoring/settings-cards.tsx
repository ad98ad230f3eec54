import { useCallback, useId, useState, type FormEvent } from 'react'
import { updateSettings, type SettingsPatch } from '../../api/settings/mutations'
import { fetchAlertRules, fetchSettings } from '../../api/settings/queries'
import { Notice } from '../../components/notice'
import { ResourceView } from '../../components/resource-view'
import { SelectField } from '../../components/select-field'
import { TextField } from '../../components/text-field'
import type { AlertSeverity, Workspace } from '../../lib/account-parsers'
import { severityLabel } from '../../lib/account-format'
import { ordersModeText } from '../../lib/monitoring-format'
import { lockdownOrderModes, severities, type AlertRule, type LockdownOrdersMode, type WorkspaceSettings } from '../../lib/notification-parsers'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { useResource } from '../../lib/use-resource'
import { ActionProblem } from './action-problem'
import { DataTable } from '../../components/data-table'
import { hygieneProblems, type HygieneDraft } from './settings-draft'

type RuleChoice = { enabled: boolean; severity: AlertSeverity }

const RulesTable = ({ workspace, rules, canManage, onSaved }: { workspace: Workspace; rules: readonly AlertRule[]; canManage: boolean; onSaved: () => void }) => {
  const { client } = useAppSession()
  const action = useAction()
  const [choices, setChoices] = useState<Record<string, RuleChoice>>({})
  const [isSaved, setIsSaved] = useState(false)
  const current = (rule: AlertRule): RuleChoice => choices[rule.id] ?? { enabled: rule.enabled, severity: rule.severity }
  const changed = rules.filter((rule) => {
    const choice = choices[rule.id]
    return choice !== undefined && (choice.enabled !== rule.enabled || choice.severity !== rule.severity)
  })
  const choose = (rule: AlertRule, patch: Partial<RuleChoice>) => {
    setIsSaved(false)
    setChoices((previous) => ({ ...previous, [rule.id]: { ...current(rule), ...patch } }))
  }

  const save = () =>
    void action.run(async () => {
      const patch: SettingsPatch = { alerts: { rules: Object.fromEntries(changed.map((rule) => [rule.id, current(rule)])) } }
      await updateSettings(client, workspace.id, patch)
      setChoices({})
      setIsSaved(true)
      onSaved()
    })

  const workspaceRules = rules.filter((rule) => rule.scope !== 'instance')
  return (
    <>
      <DataTable spaced label="Alert rules" head={['Rule', 'When', 'Severity', 'On']}>
        {workspaceRules.map((rule) => {
          const choice = current(rule)
          return (
            <tr key={rule.id}>
              <th scope="row">{rule.title}</th>
              <td className="cell-wrap">{rule.trigger}</td>
              <td>
                <label className="visually-hidden" htmlFor={`rule-${rule.id}-severity`}>
                  Severity of {rule.title}
                </label>
                <select
                  id={`rule-${rule.id}-severity`}
                  className="field__input field__input--compact"
                  value={choice.severity}
                  disabled={!canManage || !rule.canDisable}
                  onChange={(event) => choose(rule, { severity: severities.find((s) => s === event.target.value) ?? rule.severity })}
                >
                  {severities.map((severity) => (
                    <option key={severity} value={severity}>
                      {severityLabel[severity]}
                    </option>
                  ))}
                </select>
              </td>
              <td>
                <input
                  type="checkbox"
                  aria-label={`${rule.title} on`}
                  checked={choice.enabled}
                  disabled={!canManage || !rule.canDisable}
                  title={rule.canDisable ? undefined : 'A security rule: always on'}
                  onChange={(event) => choose(rule, { enabled: event.target.checked })}
                />
                {rule.canDisable ? null : <span className="mon-sub">always on</span>}
              </td>
            </tr>
          )
        })}
      </DataTable>
      {canManage ? (
        <div className="stack mon-more">
          <ActionProblem action={action} kind="settings" />
          {isSaved ? (
            <Notice tone="success">
              <p className="notice__message">Alert rules saved.</p>
            </Notice>
          ) : null}
          <div className="form__actions">
            <button type="button" className="button button--primary" onClick={save} disabled={action.isBusy || changed.length === 0}>
              {action.isBusy ? 'Saving…' : changed.length === 0 ? 'No changes' : `Save ${changed.length === 1 ? '1 change' : `${changed.length} changes`}`}
            </button>
          </div>
        </div>
      ) : null}
    </>
  )
}

/** The built-in alert rules: which are on and how loud. Security rules cannot be turned off. */
export const AlertRulesCard = ({ workspace, canManage }: { workspace: Workspace; canManage: boolean }) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchAlertRules(client, workspace.id, signal), [client, workspace.id])
  const rules = useResource(load)
  return (
    <section className="card mon-section" aria-labelledby="alert-rules-title">
      <h3 id="alert-rules-title" className="card__title">
        Alert rules
      </h3>
      <p className="card__intro">
        {canManage ? 'Turning a rule off or down asks you to confirm it is you, and is itself recorded in the audit log.' : 'Owners and admins choose these; you can see them.'}
      </p>
      <ResourceView resource={rules.resource} loadingLabel="Loading alert rules" onRetry={rules.reload}>
        {(list) => <RulesTable workspace={workspace} rules={list} canManage={canManage} onSaved={rules.reload} />}
      </ResourceView>
    </section>
  )
}

const HygieneForm = ({ workspace, settings, canManage, onSaved }: { workspace: Workspace; settings: WorkspaceSettings; canManage: boolean; onSaved: () => void }) => {
  const { client } = useAppSession()
  const ids = useId()
  const action = useAction()
  const [draft, setDraft] = useState<HygieneDraft>({
    rotationDays: String(settings.keys.rotationDays),
    remindDaysBefore: String(settings.keys.remindDaysBefore),
    unusedDays: String(settings.keys.unusedDays),
    retentionDays: String(settings.audit.retentionDays),
  })
  const [orders, setOrders] = useState<LockdownOrdersMode>(settings.lockdown.orders)
  const [problems, setProblems] = useState<Partial<Record<keyof HygieneDraft, string>>>({})
  const [isSaved, setIsSaved] = useState(false)
  const set = (key: keyof HygieneDraft) => (event: { target: { value: string } }) => {
    setIsSaved(false)
    setDraft((previous) => ({ ...previous, [key]: event.target.value }))
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const checked = hygieneProblems(draft)
    setProblems(checked.problems)
    if (checked.values === undefined) return
    const values = checked.values
    void action.run(async () => {
      await updateSettings(client, workspace.id, {
        keys: { rotationDays: values.rotationDays, remindDaysBefore: values.remindDaysBefore, unusedDays: values.unusedDays },
        audit: { retentionDays: values.retentionDays },
        lockdown: { orders },
      })
      setIsSaved(true)
      onSaved()
    })
  }

  const field = (key: keyof HygieneDraft, label: string, help: string) => (
    <TextField id={`${ids}-${key}`} label={label} help={help} inputMode="numeric" className="field__input--short" value={draft[key]} error={problems[key]} onChange={set(key)} disabled={!canManage || action.isBusy} />
  )

  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label="Key hygiene, retention and lockdown">
      <h4 className="subsection__title mon-subtitle">Key hygiene</h4>
      {field('rotationDays', 'Rotate keys every (days)', 'A key older than this is due for rotation: 7 to 730 days.')}
      {field('remindDaysBefore', 'Remind before (days)', 'How many days ahead the reminder comes.')}
      {field('unusedDays', 'Flag keys unused for (days)', 'An unused key is one more key to steal: remove it.')}
      <h4 className="subsection__title mon-subtitle">Audit log</h4>
      {field('retentionDays', 'Keep entries live for (days)', 'Older entries move to compressed archives with their checkpoint; 0 keeps everything live.')}
      <h4 className="subsection__title mon-subtitle">Lockdown</h4>
      <SelectField
        id={`${ids}-orders`}
        label="Open orders at a lockdown"
        value={orders}
        disabled={!canManage || action.isBusy}
        onChange={(event) => {
          setIsSaved(false)
          setOrders(lockdownOrderModes.find((mode) => mode === event.target.value) ?? 'cancel')
        }}
      >
        {lockdownOrderModes.map((mode) => (
          <option key={mode} value={mode}>
            {ordersModeText[mode]}
          </option>
        ))}
      </SelectField>
      <ActionProblem action={action} kind="settings" />
      {isSaved ? (
        <Notice tone="success">
          <p className="notice__message">Settings saved.</p>
        </Notice>
      ) : null}
      {canManage ? (
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={action.isBusy}>
            {action.isBusy ? 'Saving…' : 'Save settings'}
          </button>
        </div>
      ) : (
        <p className="hint">Owners and admins change these.</p>
      )}
    </form>
  )
}

/** Key hygiene, audit retention and what a lockdown does with open orders. */
export const WorkspaceSettingsCard = ({ workspace, canManage }: { workspace: Workspace; canManage: boolean }) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchSettings(client, workspace.id, signal), [client, workspace.id])
  const settings = useResource(load)
  return (
    <section className="card mon-section" aria-labelledby="workspace-settings-title">
      <h3 id="workspace-settings-title" className="card__title">
        Keys, retention and lockdown
      </h3>
      <ResourceView resource={settings.resource} loadingLabel="Loading settings" onRetry={settings.reload}>
        {(data) => <HygieneForm workspace={workspace} settings={data} canManage={canManage} onSaved={settings.reload} />}
      </ResourceView>
    </section>
  )
}

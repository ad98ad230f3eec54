import { useCallback, useId, useState, type FormEvent } from 'react'
import { fetchActivity, fetchActivitySummary, type ActivityFilter } from '../../api/activity/queries'
import { fetchKeyHealth } from '../../api/security/queries'
import { PageHeading } from '../../components/page-heading'
import { ResourceView } from '../../components/resource-view'
import { SelectField } from '../../components/select-field'
import { StatusBadge } from '../../components/status-badge'
import { TextField } from '../../components/text-field'
import { TimeText } from '../../components/time-text'
import type { Workspace } from '../../lib/account-parsers'
import { plural } from '../../lib/account-format'
import { outcomeLabel, outcomeTone, shortId } from '../../lib/monitoring-format'
import { activityOutcomes, type ActivityEntry, type KeyActivitySummary, type KeyHealth } from '../../lib/monitoring-parsers'
import { useAppSession } from '../../lib/session-context'
import { usePages } from './use-pages'
import { useResource } from '../../lib/use-resource'
import { DataTable } from '../../components/data-table'
import { NoWorkspace } from './no-workspace'
import { fromLocalInput, isUuid } from './filter-values'

const keyName = (keys: readonly KeyHealth[], keyId: string): string => {
  const key = keys.find((k) => k.keyId === keyId)
  return key === undefined ? `Key ${shortId(keyId)}` : `${key.label} (${key.exchange})`
}

/** 30 days as small bars (SVG: no inline styles under the CSP), one per day, scaled to the busiest. */
const DayBars = ({ summary }: { summary: KeyActivitySummary }) => {
  const peak = Math.max(1, ...summary.perDay.map((day) => day.requests))
  const width = summary.perDay.length * 4
  return (
    <svg className="mon-bars" viewBox={`0 0 ${width} 24`} preserveAspectRatio="none" aria-hidden="true" focusable="false">
      {summary.perDay.map((day, index) => {
        const height = day.requests === 0 ? 0 : Math.max(1, Math.round((day.requests / peak) * 24))
        const errors = day.errors + day.denied === 0 ? 0 : Math.max(1, Math.round(((day.errors + day.denied) / peak) * 24))
        return (
          <g key={day.day}>
            <title>{`${day.day}: ${day.requests} requests, ${day.errors} errors, ${day.denied} refused`}</title>
            <rect className="mon-bars__fill" x={index * 4} y={24 - height} width={3} height={height} />
            {errors === 0 ? null : <rect className="mon-bars__bad" x={index * 4} y={24 - errors} width={3} height={errors} />}
          </g>
        )
      })}
    </svg>
  )
}

const SummaryCards = ({ summaries, keys }: { summaries: readonly KeyActivitySummary[]; keys: readonly KeyHealth[] }) =>
  summaries.length === 0 ? (
    <p className="empty">No key has been used yet.</p>
  ) : (
    <ul className="mon-cards" aria-label="Per key">
      {summaries.map((summary) => {
        const days = Math.max(1, summary.perDay.length)
        return (
          <li key={summary.keyId} className="mon-card">
            <p className="mon-card__title">{keyName(keys, summary.keyId)}</p>
            <dl className="details">
              <div className="details__row">
                <dt>Requests</dt>
                <dd>
                  {summary.requests} ({(summary.requests / days).toFixed(1)} a day)
                </dd>
              </div>
              <div className="details__row">
                <dt>Errors</dt>
                <dd>{summary.errors}</dd>
              </div>
              <div className="details__row">
                <dt>Refused by the signer</dt>
                <dd>{summary.denied === 0 ? 'None' : <StatusBadge tone="bad" label={String(summary.denied)} />}</dd>
              </div>
              <div className="details__row">
                <dt>Last use</dt>
                <dd>{summary.lastUsedAt === null ? 'Never' : <TimeText iso={summary.lastUsedAt} />}</dd>
              </div>
              {summary.latencyP50Ms === null ? null : (
                <div className="details__row">
                  <dt>Latency</dt>
                  <dd>
                    {Math.round(summary.latencyP50Ms)} ms median{summary.latencyP95Ms === null ? '' : `, ${Math.round(summary.latencyP95Ms)} ms p95`}
                  </dd>
                </div>
              )}
            </dl>
            {summary.perDay.length === 0 ? null : <DayBars summary={summary} />}
          </li>
        )
      })}
    </ul>
  )

const ActivityRows = ({ entries, keys }: { entries: readonly ActivityEntry[]; keys: readonly KeyHealth[] }) => (
  <DataTable spaced label="Signer calls" head={['Time', 'Key', 'Method', 'Outcome', 'Endpoint', 'Latency', 'Bot', 'Request id']} numeric={[5]}>
    {entries.map((entry) => (
      <tr key={entry.id}>
        <td>
          <TimeText iso={entry.occurredAt} />
        </td>
        <td>{keyName(keys, entry.keyId)}</td>
        <td>
          <code>{entry.method}</code>
        </td>
        <td>
          <StatusBadge tone={outcomeTone(entry.outcome)} label={outcomeLabel(entry.outcome)} />
          {entry.errorCode === null ? null : <span className="mon-sub">{entry.errorCode}</span>}
        </td>
        <td className="cell-wrap">{entry.endpoint ?? '—'}</td>
        <td className="num">{entry.durationMs} ms</td>
        <td title={entry.botId ?? undefined}>{entry.botId === null ? (entry.actorType === 'user' ? 'You or a member' : '—') : shortId(entry.botId)}</td>
        <td>
          <code title={entry.requestId}>{shortId(entry.requestId)}</code>
        </td>
      </tr>
    ))}
  </DataTable>
)

const initialKeyId = (): string => {
  const value = new URLSearchParams(window.location.search).get('keyId') ?? ''
  return isUuid(value) ? value : ''
}

const WorkspaceActivity = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const ids = useId()
  const loadKeys = useCallback((signal: AbortSignal) => fetchKeyHealth(client, workspace.id, signal), [client, workspace.id])
  const keys = useResource(loadKeys)
  const keyList = keys.resource.status === 'success' ? keys.resource.data : []
  const loadSummary = useCallback((signal: AbortSignal) => fetchActivitySummary(client, workspace.id, signal), [client, workspace.id])
  const summary = useResource(loadSummary, { refreshMs: 60_000 })

  const [draft, setDraft] = useState({ keyId: initialKeyId(), outcome: '', method: '', botId: '', from: '', to: '' })
  const [filter, setFilter] = useState<ActivityFilter>(() => (draft.keyId === '' ? {} : { keyId: draft.keyId }))
  const [filterError, setFilterError] = useState<string | undefined>(undefined)
  const loadPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) => fetchActivity(client, workspace.id, filter, cursor, signal).then((page) => ({ items: page.entries, next: page.next })),
    [client, workspace.id, filter],
  )
  const pages = usePages(loadPage)

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (draft.method !== '' && !/^[A-Za-z]{1,40}$/.test(draft.method)) return setFilterError('A method is a venue method name, like createOrder.')
    if (draft.botId !== '' && !isUuid(draft.botId)) return setFilterError('A bot id is the id in the address of the bot’s page.')
    setFilterError(undefined)
    const next: ActivityFilter = {}
    if (draft.keyId !== '') next.keyId = draft.keyId
    if (draft.outcome !== '') next.outcome = draft.outcome
    if (draft.method !== '') next.method = draft.method
    if (draft.botId !== '') next.botId = draft.botId
    const from = fromLocalInput(draft.from)
    const to = fromLocalInput(draft.to)
    if (from !== undefined) next.from = from
    if (to !== undefined) next.to = to
    setFilter(next)
  }

  const set = (key: keyof typeof draft) => (event: { target: { value: string } }) => setDraft((previous) => ({ ...previous, [key]: event.target.value }))

  return (
    <>
      <section className="card mon-section" aria-labelledby="activity-summary-title">
        <h3 id="activity-summary-title" className="card__title">
          Last 30 days, per key
        </h3>
        <ResourceView resource={summary.resource} loadingLabel="Loading the activity summary" onRetry={summary.reload}>
          {(list) => <SummaryCards summaries={list} keys={keyList} />}
        </ResourceView>
      </section>
      <section className="card mon-section" aria-labelledby="activity-log-title">
        <h3 id="activity-log-title" className="card__title">
          Every call through the signer
        </h3>
        <p className="card__intro">Each request Bulwark made to an exchange with one of this workspace's keys, and each one the signer refused.</p>
        <form className="mon-filters" onSubmit={apply} noValidate aria-label="Filter the activity log">
          <SelectField id={`${ids}-key`} label="Key" value={draft.keyId} onChange={set('keyId')}>
            <option value="">All keys</option>
            {keyList.map((key) => (
              <option key={key.keyId} value={key.keyId}>
                {key.label} ({key.exchange})
              </option>
            ))}
          </SelectField>
          <SelectField id={`${ids}-outcome`} label="Outcome" value={draft.outcome} onChange={set('outcome')}>
            <option value="">Any</option>
            {activityOutcomes.map((outcome) => (
              <option key={outcome} value={outcome}>
                {outcomeLabel(outcome)}
              </option>
            ))}
          </SelectField>
          <TextField id={`${ids}-method`} label="Method" placeholder="createOrder" value={draft.method} onChange={set('method')} autoComplete="off" spellCheck={false} />
          <TextField id={`${ids}-bot`} label="Bot id" value={draft.botId} onChange={set('botId')} autoComplete="off" spellCheck={false} />
          <TextField id={`${ids}-from`} label="From" type="datetime-local" value={draft.from} onChange={set('from')} />
          <TextField id={`${ids}-to`} label="Until" type="datetime-local" value={draft.to} onChange={set('to')} />
          <div className="form__actions mon-filters__actions">
            <button type="submit" className="button button--secondary">
              Apply filters
            </button>
          </div>
          {filterError === undefined ? null : (
            <p className="field__error mon-filters__error" role="alert">
              {filterError}
            </p>
          )}
        </form>
        <ResourceView resource={pages.resource} loadingLabel="Loading the activity log" onRetry={pages.reload}>
          {(list) =>
            list.items.length === 0 ? (
              <p className="empty">No calls match.</p>
            ) : (
              <>
                <ActivityRows entries={list.items} keys={keyList} />
                <p className="hint">{plural(list.items.length, 'call', 'calls')} shown, newest first.</p>
              </>
            )
          }
        </ResourceView>
        {pages.moreButton('Show older calls')}
      </section>
    </>
  )
}

/** The exchange-activity log: per-key summary cards, then every signer call, filtered and paged. */
export const ActivityPage = ({ workspace }: { workspace: Workspace | undefined }) => (
  <>
    <div className="page-intro">
      <PageHeading id="activity-title" title="Exchange activity" className="page-title" />
      <p className="card__intro">What your keys did at the exchanges, and what the signer refused to do with them.</p>
    </div>
    {workspace === undefined ? <NoWorkspace what="is no activity to show" /> : <WorkspaceActivity key={workspace.id} workspace={workspace} />}
  </>
)

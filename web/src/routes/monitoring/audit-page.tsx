import { useCallback, useId, useState, type FormEvent } from 'react'
import { downloadAuditExport, fetchAuditMembers, fetchAuditPage, fetchAuditVerification, type AuditFilter, type ExportFormat } from '../../api/audit/queries'
import { PageHeading } from '../../components/page-heading'
import { ResourceView } from '../../components/resource-view'
import { SelectField } from '../../components/select-field'
import { StatusBadge } from '../../components/status-badge'
import { TextField } from '../../components/text-field'
import type { Workspace } from '../../lib/account-parsers'
import { plural } from '../../lib/account-format'
import { downloadBlob } from '../../lib/browser-actions'
import { outcomeLabel, verificationBanner } from '../../lib/monitoring-format'
import type { AuditVerification } from '../../lib/monitoring-parsers'
import { useAppSession, useMe } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { useResource } from '../../lib/use-resource'
import { ActionProblem } from './action-problem'
import { fromLocalInput } from './filter-values'
import { NoWorkspace, isOwnerOrAdmin } from './no-workspace'
import { AccountAudit } from './account-audit'
import { AuditRows } from './audit-rows'
import { usePages } from './use-pages'

const VERIFY_REFRESH_MS = 60_000

const VerificationBannerView = ({ verdict }: { verdict: AuditVerification }) => {
  const banner = verificationBanner(verdict)
  return (
    <div className={`mon-verify mon-verify--${banner.tone}`} role="status" aria-label="Audit log verification">
      <StatusBadge tone={banner.tone} label={banner.tone === 'ok' ? 'Verified' : banner.tone === 'bad' ? 'Verification failed' : 'Partly verified'} />
      <div>
        <p className="mon-verify__title">{banner.title}</p>
        <p className="mon-verify__detail">{banner.detail}</p>
        {verdict.archivedEntries === undefined || verdict.archivedEntries === 0 ? null : (
          <p className="mon-verify__detail">{plural(verdict.archivedEntries, 'older entry is', 'older entries are')} archived with their checkpoint.</p>
        )}
      </div>
    </div>
  )
}

const ExportButtons = ({ workspace, range }: { workspace: Workspace; range: { from?: string; to?: string } }) => {
  const { client } = useAppSession()
  const action = useAction()
  const [saved, setSaved] = useState<string | undefined>(undefined)
  const run = (format: ExportFormat) =>
    void action.run(async () => {
      setSaved(undefined)
      const file = await downloadAuditExport(client, workspace.id, format, range)
      downloadBlob(file.fileName, file.blob)
      setSaved(file.fileName)
    })
  return (
    <div className="stack">
      <p className="hint">
        Exports cover {range.from === undefined && range.to === undefined ? 'the whole log' : 'the time range of the filter'}. The JSONL file ends with the signed
        checkpoints and the public key that verify it offline (<code>bulwark audit verify</code>). Exporting asks you to confirm it is you.
      </p>
      <div className="form__actions">
        <button type="button" className="button button--secondary" disabled={action.isBusy} onClick={() => run('jsonl')}>
          Export JSONL
        </button>
        <button type="button" className="button button--secondary" disabled={action.isBusy} onClick={() => run('csv')}>
          Export CSV
        </button>
        <span className="copy-status" role="status">
          {action.isBusy ? 'Preparing the export…' : saved === undefined ? '' : `Saved ${saved}.`}
        </span>
      </div>
      <ActionProblem action={action} kind="export" />
    </div>
  )
}

const VerificationCard = ({ workspace }: { workspace: Workspace }) => {
  const { client } = useAppSession()
  const loadVerification = useCallback((signal: AbortSignal) => fetchAuditVerification(client, workspace.id, signal), [client, workspace.id])
  const verification = useResource(loadVerification, { refreshMs: VERIFY_REFRESH_MS })
  return (
    <section className="card mon-section" aria-labelledby="audit-verify-title">
      <h3 id="audit-verify-title" className="card__title">
        Verification
      </h3>
      <p className="card__intro">Every entry is chained to the one before by its hash, and the signer signs checkpoints the API cannot rewrite.</p>
      <ResourceView resource={verification.resource} loadingLabel="Verifying the audit log" onRetry={verification.reload}>
        {(verdict) => <VerificationBannerView verdict={verdict} />}
      </ResourceView>
    </section>
  )
}

/** The member filter's choices: whoever has entries, by name (owners and admins see everyone's entries). */
const MemberFilter = ({ workspace, id, value, onChange }: { workspace: Workspace; id: string; value: string; onChange: (event: { target: { value: string } }) => void }) => {
  const { client } = useAppSession()
  const me = useMe()
  const load = useCallback((signal: AbortSignal) => fetchAuditMembers(client, workspace.id, signal), [client, workspace.id])
  const members = useResource(load)
  const list = members.resource.status === 'success' ? members.resource.data : []
  return (
    <SelectField id={id} label="Member" value={value} onChange={onChange} disabled={members.resource.status !== 'success'}>
      <option value="">Everyone</option>
      {list.map((member) => (
        <option key={member.userId} value={member.userId}>
          {member.userId === me.user.id ? 'You' : (member.displayName ?? member.email ?? 'A former member')}
          {member.email === null || member.displayName === null || member.userId === me.user.id ? '' : ` (${member.email})`}
        </option>
      ))}
    </SelectField>
  )
}

/**
 * The log of one workspace. Owners and admins see everyone's entries, with the verification, a member
 * filter and the export; traders and viewers see only their own entries (the server narrows it).
 */
const WorkspaceAudit = ({ workspace, seesEveryone }: { workspace: Workspace; seesEveryone: boolean }) => {
  const { client } = useAppSession()
  const ids = useId()
  const [draft, setDraft] = useState({ q: '', type: '', outcome: '', from: '', to: '', member: '' })
  const [filter, setFilter] = useState<AuditFilter>({})
  const [filterError, setFilterError] = useState<string | undefined>(undefined)
  const loadPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) => fetchAuditPage(client, workspace.id, filter, cursor, signal).then((page) => ({ items: page.entries, next: page.nextCursor })),
    [client, workspace.id, filter],
  )
  const pages = usePages(loadPage)
  const set = (key: keyof typeof draft) => (event: { target: { value: string } }) => setDraft((previous) => ({ ...previous, [key]: event.target.value }))

  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const type = draft.type.trim().toLowerCase().replace(/\s+/g, '_')
    if (type !== '' && !/^[a-z][a-z0-9_.]*$/.test(type)) return setFilterError('An event type is a word like session_revoked or lockdown_triggered.')
    const from = fromLocalInput(draft.from)
    const to = fromLocalInput(draft.to)
    if (from !== undefined && to !== undefined && from > to) return setFilterError('“From” must come before “Until”.')
    setFilterError(undefined)
    const q = draft.q.trim()
    setFilter({
      ...(q === '' ? {} : { q: q.slice(0, 200) }),
      ...(type === '' ? {} : { type }),
      ...(draft.outcome === '' ? {} : { outcome: draft.outcome }),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
      ...(draft.member === '' ? {} : { member: draft.member }),
    })
  }

  return (
    <>
      {/*
        Verified once the first page has loaded: reading the log appends an entry (R40), and a verification
        running while that append lands would compare against a head that has just moved.
      */}
      {!seesEveryone ? null : pages.resource.status === 'loading' ? (
        <section className="card mon-section" aria-label="Verification">
          <p className="card__intro">Verifying the audit log…</p>
        </section>
      ) : (
        <VerificationCard workspace={workspace} />
      )}
      <section className="card mon-section" aria-labelledby="audit-log-title">
        <h3 id="audit-log-title" className="card__title">
          {seesEveryone ? `Entries of ${workspace.name}` : `Your entries in ${workspace.name}`}
        </h3>
        {seesEveryone ? null : (
          <p className="card__intro">What you did in {workspace.name}. Owners and admins read everyone's entries, verify the log and export it.</p>
        )}
        <form className="mon-filters" onSubmit={apply} noValidate aria-label="Filter the audit log">
          <TextField id={`${ids}-q`} label="Search" type="search" value={draft.q} onChange={set('q')} autoComplete="off" />
          <TextField id={`${ids}-type`} label="Event type" placeholder="session_revoked" value={draft.type} onChange={set('type')} autoComplete="off" spellCheck={false} />
          <SelectField id={`${ids}-outcome`} label="Outcome" value={draft.outcome} onChange={set('outcome')}>
            <option value="">Any</option>
            <option value="success">{outcomeLabel('success')}</option>
            <option value="failure">{outcomeLabel('failure')}</option>
            <option value="denied">{outcomeLabel('denied')}</option>
          </SelectField>
          <TextField id={`${ids}-from`} label="From" type="datetime-local" value={draft.from} onChange={set('from')} />
          <TextField id={`${ids}-to`} label="Until" type="datetime-local" value={draft.to} onChange={set('to')} />
          {seesEveryone ? <MemberFilter workspace={workspace} id={`${ids}-member`} value={draft.member} onChange={set('member')} /> : null}
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
        <ResourceView resource={pages.resource} loadingLabel="Loading the audit log" onRetry={pages.reload}>
          {(list) => (list.items.length === 0 ? <p className="empty">No entries match.</p> : <AuditRows entries={list.items} />)}
        </ResourceView>
        {pages.moreButton('Show older entries')}
      </section>
      {seesEveryone ? (
        <section className="card mon-section" aria-labelledby="audit-export-title">
          <h3 id="audit-export-title" className="card__title">
            Export
          </h3>
          <ExportButtons workspace={workspace} range={{ ...(filter.from === undefined ? {} : { from: filter.from }), ...(filter.to === undefined ? {} : { to: filter.to }) }} />
        </section>
      ) : null}
    </>
  )
}

/** The workspace's audit chain: its verification, the entries (filter, search, member, page) and the export; a trader's or viewer's own entries. */
export const AuditPage = ({ workspace }: { workspace: Workspace | undefined }) => (
  <>
    <div className="page-intro">
      <PageHeading id="audit-title" title="Audit log" className="page-title" />
      <p className="card__intro">Every security-relevant event in the workspace, tamper-evident.</p>
    </div>
    {workspace === undefined ? <NoWorkspace what="is no audit log to show" /> : <WorkspaceAudit key={workspace.id} workspace={workspace} seesEveryone={isOwnerOrAdmin(workspace.role)} />}
    <AccountAudit />
  </>
)

import { useRef, useState, type FormEvent } from 'react'
import { createToken, revokeToken } from '../api/tokens/mutations'
import { fetchTokens } from '../api/tokens/queries'
import { ActionError } from '../components/action-error'
import { ConfirmAction } from '../components/confirm-action'
import { CopyButton } from '../components/copy-button'
import { PageHeading } from '../components/page-heading'
import { ResourceView } from '../components/resource-view'
import { SelectField } from '../components/select-field'
import { TextAreaField } from '../components/text-area-field'
import { TextField } from '../components/text-field'
import { TimeText } from '../components/time-text'
import { scopeDescriptions, scopeLabel } from '../lib/account-format'
import { tokenScopes, type ApiToken, type TokenScope, type Workspace } from '../lib/account-parsers'
import { TOKEN_MAX_DAYS, TOKEN_MIN_DAYS, cidrListProblem, expiryDaysProblem, parseCidrList } from '../lib/account-validation'
import { useAppSession, useClientResource } from '../lib/session-context'
import { fieldErrorOf } from '../lib/api'
import { useAction } from '../lib/use-action'
import { useFocusOnMount } from '../lib/use-focus'

const DEFAULT_EXPIRY_DAYS = '90'
const MAX_NAME = 80

type Fields = { name: string; workspaceId: string; scope: TokenScope; expiresInDays: string; allowedIps: string }
type FieldName = 'name' | 'expiresInDays' | 'allowedIps'

const NewToken = ({ token, onDone }: { token: { name: string; value: string }; onDone: () => void }) => {
  const headingRef = useFocusOnMount<HTMLHeadingElement>()
  return (
    <div className="secret-box">
      <h4 className="subsection__title" tabIndex={-1} ref={headingRef}>
        Copy your new token "{token.name}"
      </h4>
      <p>This is the only time it is shown: Bulwark keeps only a hash. Scripts send it as an HTTP header:</p>
      <p>
        <code className="inline-code">Authorization: Bearer …</code>
      </p>
      <p className="secret-box__value">
        <code>{token.value}</code>
      </p>
      <div className="form__actions">
        <CopyButton text={token.value} label="Copy token" />
        <button type="button" className="button button--primary" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  )
}

/** The create request's field names → the form's labels, for a server refusal about one of them. */
const tokenFieldLabels = { name: 'Token name', workspaceId: 'Workspace', scope: 'Scope', expiresInDays: 'Expires after (days)', allowedIps: 'Allowed IP ranges' } as const

const CreateTokenForm = ({ workspaces, defaultWorkspaceId, onCreated }: { workspaces: readonly Workspace[]; defaultWorkspaceId: string | undefined; onCreated: () => void }) => {
  const { client } = useAppSession()
  const initial: Fields = { name: '', workspaceId: defaultWorkspaceId ?? workspaces[0]?.id ?? '', scope: 'read', expiresInDays: DEFAULT_EXPIRY_DAYS, allowedIps: '' }
  const [fields, setFields] = useState<Fields>(initial)
  const [errors, setErrors] = useState<Partial<Record<FieldName, string>>>({})
  const [created, setCreated] = useState<{ name: string; value: string } | undefined>(undefined)
  const nameRef = useRef<HTMLInputElement>(null)
  const expiryRef = useRef<HTMLInputElement>(null)
  const ipsRef = useRef<HTMLTextAreaElement>(null)
  const action = useAction()

  const update = <K extends keyof Fields>(key: K, value: Fields[K]) => {
    setFields((previous) => ({ ...previous, [key]: value }))
    setErrors((previous) => ({ ...previous, [key]: undefined }))
  }

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    const name = fields.name.trim()
    const found: Partial<Record<FieldName, string>> = {
      name: name === '' ? 'Name the token after the script or machine that will use it.' : name.length > MAX_NAME ? `Use at most ${MAX_NAME} characters.` : undefined,
      expiresInDays: expiryDaysProblem(fields.expiresInDays),
      allowedIps: cidrListProblem(fields.allowedIps),
    }
    setErrors(found)
    if (found.name !== undefined) return nameRef.current?.focus()
    if (found.expiresInDays !== undefined) return expiryRef.current?.focus()
    if (found.allowedIps !== undefined) return ipsRef.current?.focus()
    const { cidrs } = parseCidrList(fields.allowedIps)
    void action.run(async () => {
      const result = await createToken(client, {
        name,
        workspaceId: fields.workspaceId,
        scope: fields.scope,
        expiresInDays: Number(fields.expiresInDays),
        ...(cidrs.length === 0 ? {} : { allowedIps: cidrs }),
      })
      setCreated({ name, value: result.token })
      setFields(initial)
      onCreated()
    })
  }

  if (created !== undefined) return <NewToken token={created} onDone={() => setCreated(undefined)} />

  return (
    <form className="form" onSubmit={submit} noValidate aria-busy={action.isBusy}>
      <TextField
        id="token-name"
        name="name"
        label="Token name"
        help="What will use it, e.g. “tax export script”."
        maxLength={MAX_NAME}
        autoComplete="off"
        value={fields.name}
        error={errors.name ?? fieldErrorOf(action.error, 'name')}
        ref={nameRef}
        onChange={(event) => update('name', event.target.value)}
      />
      <SelectField
        id="token-workspace"
        name="workspaceId"
        label="Workspace"
        value={fields.workspaceId}
        error={fieldErrorOf(action.error, 'workspaceId')}
        onChange={(event) => update('workspaceId', event.target.value)}>
        {workspaces.map((workspace) => (
          <option key={workspace.id} value={workspace.id}>
            {workspace.name}
          </option>
        ))}
      </SelectField>
      <SelectField
        id="token-scope"
        name="scope"
        label="Scope"
        help="Give the least it needs: a token that only reads cannot trade if it leaks."
        value={fields.scope}
        error={fieldErrorOf(action.error, 'scope')}
        onChange={(event) => update('scope', tokenScopes.find((scope) => scope === event.target.value) ?? 'read')}
      >
        {tokenScopes.map((scope) => (
          <option key={scope} value={scope}>
            {scopeDescriptions[scope]}
          </option>
        ))}
      </SelectField>
      <TextField
        id="token-expiry"
        name="expiresInDays"
        label="Expires after (days)"
        help={`${TOKEN_MIN_DAYS} to ${TOKEN_MAX_DAYS} days.`}
        type="number"
        inputMode="numeric"
        min={TOKEN_MIN_DAYS}
        max={TOKEN_MAX_DAYS}
        className="field__input--short"
        value={fields.expiresInDays}
        error={errors.expiresInDays ?? fieldErrorOf(action.error, 'expiresInDays')}
        ref={expiryRef}
        onChange={(event) => update('expiresInDays', event.target.value)}
      />
      <TextAreaField
        id="token-ips"
        name="allowedIps"
        label="Allowed IP ranges"
        help="Optional. One address or CIDR range per line, e.g. 203.0.113.0/24. Empty allows any address."
        className="field__input--mono"
        rows={3}
        spellCheck={false}
        value={fields.allowedIps}
        error={errors.allowedIps ?? fieldErrorOf(action.error, 'allowedIps')}
        ref={ipsRef}
        onChange={(event) => update('allowedIps', event.target.value)}
      />
      <ActionError action={action} fields={tokenFieldLabels} />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy || workspaces.length === 0}>
          {action.isBusy ? 'Creating…' : 'Create token'}
        </button>
      </div>
    </form>
  )
}

const TokenRow = ({ token, workspaceName, onRevoked }: { token: ApiToken; workspaceName: string; onRevoked: () => void }) => {
  const { client } = useAppSession()
  const action = useAction()
  const isExpired = new Date(token.expiresAt).getTime() <= Date.now()
  return (
    <li className="row">
      <div className="row__main">
        <p className="row__title">
          {token.name} <span className="tag">{scopeLabel(token.scope)}</span>
        </p>
        <p className="row__meta">
          {workspaceName} · created <TimeText iso={token.createdAt} /> · {isExpired ? 'expired' : 'expires'} <TimeText iso={token.expiresAt} />
        </p>
        <p className="row__meta">
          {token.lastUsedAt === null ? (
            'Never used'
          ) : (
            <>
              Last used <TimeText iso={token.lastUsedAt} />
              {token.lastUsedIp === null ? null : <> from {token.lastUsedIp}</>}
            </>
          )}{' '}
          · {token.allowedIps.length === 0 ? 'any address' : `only from ${token.allowedIps.join(', ')}`}
        </p>
        <ActionError action={action} />
      </div>
      <div className="row__actions">
        <ConfirmAction
          label="Revoke"
          accessibleLabel={`Revoke token ${token.name}`}
          question={`Revoke "${token.name}"? Scripts using it stop working at once.`}
          confirmLabel="Yes, revoke"
          isBusy={action.isBusy}
          onConfirm={() =>
            void action.run(async () => {
              await revokeToken(client, token.id)
              onRevoked()
            })
          }
        />
      </div>
    </li>
  )
}

type Props = { workspaces: readonly Workspace[]; defaultWorkspaceId: string | undefined }

/** API tokens for scripts: create (shown once), list, revoke. */
export const TokensPage = ({ workspaces, defaultWorkspaceId }: Props) => {
  const tokens = useClientResource(fetchTokens)
  const workspaceName = (id: string) => workspaces.find((workspace) => workspace.id === id)?.name ?? 'Unknown workspace'

  return (
    <>
      <div className="page-intro">
        <PageHeading id="tokens-title" title="API tokens" className="page-title" />
        <p className="card__intro">Tokens let scripts use the Bulwark API as you, limited to one workspace, a scope, a lifetime and optionally some IP addresses.</p>
      </div>
      <section className="card" aria-labelledby="create-token-title">
        <h3 id="create-token-title" className="card__title">
          Create a token
        </h3>
        <CreateTokenForm workspaces={workspaces} defaultWorkspaceId={defaultWorkspaceId} onCreated={tokens.reload} />
      </section>
      <section className="card" aria-labelledby="token-list-title">
        <h3 id="token-list-title" className="card__title">
          Your tokens
        </h3>
        <ResourceView resource={tokens.resource} loadingLabel="Loading tokens" onRetry={tokens.reload}>
          {(list) =>
            list.length === 0 ? (
              <p className="empty">No tokens yet.</p>
            ) : (
              <ul className="rows" aria-label="Your API tokens">
                {list.map((token) => (
                  <TokenRow key={token.id} token={token} workspaceName={workspaceName(token.workspaceId)} onRevoked={tokens.reload} />
                ))}
              </ul>
            )
          }
        </ResourceView>
      </section>
    </>
  )
}

import { useCallback, useId, useState, type FormEvent } from 'react'
import { createEmailChannel, createTelegramChannel, createWebhook, newLinkCode, removeChannel, testWebhook, updateChannel } from '../../api/notifications/mutations'
import { fetchChannels } from '../../api/notifications/queries'
import { ConfirmAction } from '../../components/confirm-action'
import { CopyButton } from '../../components/copy-button'
import { ResourceView } from '../../components/resource-view'
import { SelectField } from '../../components/select-field'
import { StatusBadge, type StatusTone } from '../../components/status-badge'
import { TextField } from '../../components/text-field'
import { TimeText } from '../../components/time-text'
import type { AlertSeverity, Workspace } from '../../lib/account-parsers'
import { severityLabel } from '../../lib/account-format'
import { severities, type Channel, type LinkCode, type WebhookCreated } from '../../lib/notification-parsers'
import { useAppSession } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { useFocusOnMount } from '../../lib/use-focus'
import { useResource } from '../../lib/use-resource'
import { ActionProblem } from './action-problem'

const kindText: Record<Channel['kind'], string> = { email: 'Email', telegram: 'Telegram', webhook: 'Webhook' }

const channelState = (channel: Channel): { tone: StatusTone; text: string } => {
  if (channel.state === 'disabled') return { tone: 'warn', text: 'Turned off' }
  if (channel.kind === 'telegram' && channel.isLinked !== true) return { tone: 'pending', text: 'Waiting for the Telegram chat' }
  if (channel.state === 'active') return { tone: 'ok', text: 'On' }
  return { tone: 'pending', text: 'Pending' }
}

/** The bot's @name, from the t.me link the server builds (absent when Telegram is not configured). */
export const botNameOf = (deepLink: string | undefined): string | undefined => {
  if (deepLink === undefined) return undefined
  try {
    const name = new URL(deepLink).pathname.replace(/^\//, '')
    return /^[A-Za-z0-9_]{3,64}$/.test(name) ? name : undefined
  } catch {
    return undefined
  }
}

/** The one-time link code and how to use it: "send /start CODE to @bot". */
const LinkCodePanel = ({ code }: { code: LinkCode }) => {
  const ref = useFocusOnMount<HTMLDivElement>()
  const bot = botNameOf(code.deepLink)
  const command = `/start ${code.linkCode}`
  return (
    <div className="notice notice--info" role="status" tabIndex={-1} ref={ref}>
      <p className="notice__message">Link your Telegram chat</p>
      <p>
        In Telegram, open {bot === undefined ? 'Bulwark’s bot (your operator has its name)' : <strong>@{bot}</strong>} and send this message:
      </p>
      <p className="secret-box__value mon-secret">
        <code>{command}</code>
      </p>
      <div className="form__actions">
        <CopyButton text={command} label="Copy the message" className="button button--secondary button--small" />
        {code.deepLink === undefined ? null : (
          <a className="button button--secondary button--small" href={code.deepLink} target="_blank" rel="noopener noreferrer">
            Open Telegram
          </a>
        )}
      </div>
      <p className="notice__detail">
        The code works once, until <TimeText iso={code.expiresAt} />. The bot answers with your anti-phishing code: check it matches the one under Security.
      </p>
    </div>
  )
}

/** The webhook's signing secret, shown this once. */
const SecretPanel = ({ created }: { created: WebhookCreated }) => {
  const ref = useFocusOnMount<HTMLDivElement>()
  return (
    <div className="notice notice--warning" role="status" tabIndex={-1} ref={ref}>
      <p className="notice__message">Save the signing secret of “{created.channel.label}” now: it is shown only this once.</p>
      <p className="secret-box__value mon-secret">
        <code>{created.secret}</code>
      </p>
      <div className="form__actions">
        <CopyButton text={created.secret} label="Copy the secret" className="button button--secondary button--small" />
      </div>
      <p className="notice__detail">
        Each delivery carries <code>x-bulwark-timestamp</code> and <code>x-bulwark-signature</code>: HMAC-SHA256 with this secret over the timestamp, a dot and the
        body. Reject a request whose signature does not match or whose timestamp is old.
      </p>
    </div>
  )
}

const ChannelRow = ({ workspaceId, channel, onChanged, onLinkCode }: { workspaceId: string; channel: Channel; onChanged: () => void; onLinkCode: (code: LinkCode) => void }) => {
  const { client } = useAppSession()
  const action = useAction()
  const test = useAction()
  const [testResult, setTestResult] = useState<string | undefined>(undefined)
  const severityId = useId()
  const state = channelState(channel)
  const name = `${kindText[channel.kind]}: ${channel.label}`

  const change = (patch: Parameters<typeof updateChannel>[3]) =>
    void action.run(async () => {
      await updateChannel(client, workspaceId, channel, patch)
      onChanged()
    })

  return (
    <li className="row">
      <div className="row__main">
        <p className="row__title">
          <span className="tag">{kindText[channel.kind]}</span> {channel.label} <StatusBadge tone={state.tone} label={state.text} />
        </p>
        {channel.url === undefined ? null : (
          <p className="row__meta">
            <code>{channel.url}</code>
          </p>
        )}
        <div className="mon-inline-field">
          <SelectField
            id={severityId}
            label="Sends alerts from"
            value={channel.minSeverity}
            disabled={action.isBusy}
            onChange={(event) => {
              const minSeverity = severities.find((s) => s === event.target.value)
              if (minSeverity !== undefined) change({ minSeverity })
            }}
          >
            {severities.map((severity) => (
              <option key={severity} value={severity}>
                {severityLabel[severity]} and above
              </option>
            ))}
          </SelectField>
        </div>
        {testResult === undefined ? null : (
          <p className="row__meta" role="status">
            {testResult}
          </p>
        )}
        <ActionProblem action={action} kind="channel" />
        <ActionProblem action={test} kind="channel" />
      </div>
      <div className="row__actions">
        {channel.kind === 'telegram' && channel.isLinked !== true ? (
          <button
            type="button"
            className="button button--secondary button--small"
            disabled={action.isBusy}
            onClick={() =>
              void action.run(async () => {
                onLinkCode(await newLinkCode(client, workspaceId, channel.id))
              })
            }
          >
            New link code
          </button>
        ) : null}
        {channel.kind === 'webhook' ? (
          <button
            type="button"
            className="button button--secondary button--small"
            aria-label={`Send a test to ${channel.label}`}
            disabled={test.isBusy}
            onClick={() =>
              void test.run(async () => {
                setTestResult(undefined)
                const result = await testWebhook(client, workspaceId, channel.id)
                setTestResult(
                  result.ok
                    ? `Test delivered${result.status === null ? '' : ` (HTTP ${result.status})`}.`
                    : `Test failed${result.status === null ? '' : ` with HTTP ${result.status}`}${result.error === null ? '' : `: ${result.error}`}.`,
                )
                onChanged()
              })
            }
          >
            {test.isBusy ? 'Sending…' : 'Send test'}
          </button>
        ) : null}
        <button type="button" className="button button--secondary button--small" disabled={action.isBusy} aria-label={`${channel.state === 'disabled' ? 'Turn on' : 'Turn off'} ${name}`} onClick={() => change({ isEnabled: channel.state === 'disabled' })}>
          {channel.state === 'disabled' ? 'Turn on' : 'Turn off'}
        </button>
        <ConfirmAction
          label="Remove"
          accessibleLabel={`Remove ${name}`}
          question={`Remove ${name}? Alerts stop going there.`}
          confirmLabel="Yes, remove"
          isBusy={action.isBusy}
          onConfirm={() =>
            void action.run(async () => {
              await removeChannel(client, workspaceId, channel)
              onChanged()
            })
          }
        />
      </div>
    </li>
  )
}

type Kind = Channel['kind']

const AddChannelForm = ({ workspace, canManageWebhooks, onAdded }: { workspace: Workspace; canManageWebhooks: boolean; onAdded: (result: { linkCode?: LinkCode; webhook?: WebhookCreated }) => void }) => {
  const { client } = useAppSession()
  const ids = useId()
  const action = useAction()
  const [kind, setKind] = useState<Kind>('email')
  const [minSeverity, setMinSeverity] = useState<AlertSeverity>('warning')
  const [url, setUrl] = useState('')
  const [label, setLabel] = useState('')
  const [urlError, setUrlError] = useState<string | undefined>(undefined)
  const kinds: Kind[] = canManageWebhooks ? ['email', 'telegram', 'webhook'] : ['email', 'telegram']

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault()
    if (kind === 'webhook' && !/^https?:\/\/\S+$/.test(url.trim())) return setUrlError('Enter the full address that receives the alerts, starting with https://.')
    setUrlError(undefined)
    void action.run(async () => {
      if (kind === 'email') {
        await createEmailChannel(client, workspace.id, minSeverity)
        onAdded({})
      } else if (kind === 'telegram') {
        onAdded({ linkCode: await createTelegramChannel(client, workspace.id, minSeverity) })
      } else {
        const trimmed = label.trim()
        onAdded({ webhook: await createWebhook(client, workspace.id, { url: url.trim(), minSeverity, ...(trimmed === '' ? {} : { label: trimmed }) }) })
        setUrl('')
        setLabel('')
      }
    })
  }

  return (
    <form className="form form--spaced" onSubmit={submit} noValidate aria-busy={action.isBusy} aria-label="Add a channel">
      <fieldset className="choices">
        <legend className="field__label">Where to</legend>
        {kinds.map((option) => (
          <label key={option} className="choice">
            <input type="radio" name={`${ids}-kind`} value={option} checked={kind === option} onChange={() => setKind(option)} />
            {option === 'email' ? 'Email (your verified address)' : option === 'telegram' ? 'Telegram (you link a chat with a one-time code)' : 'Webhook (signed POSTs to your server)'}
          </label>
        ))}
      </fieldset>
      {kind === 'webhook' ? (
        <>
          <TextField id={`${ids}-url`} label="Webhook URL" type="url" inputMode="url" value={url} error={urlError} onChange={(event) => setUrl(event.target.value)} autoComplete="off" spellCheck={false} />
          <TextField id={`${ids}-label`} label="Name (optional)" value={label} maxLength={80} onChange={(event) => setLabel(event.target.value)} />
        </>
      ) : null}
      <SelectField id={`${ids}-severity`} label="Send alerts from" value={minSeverity} onChange={(event) => setMinSeverity(severities.find((s) => s === event.target.value) ?? 'warning')}>
        {severities.map((severity) => (
          <option key={severity} value={severity}>
            {severityLabel[severity]} and above
          </option>
        ))}
      </SelectField>
      <ActionProblem action={action} kind="channel" />
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={action.isBusy}>
          {action.isBusy ? 'Adding…' : 'Add channel'}
        </button>
      </div>
    </form>
  )
}

/** Where alerts go besides the inbox: your email and Telegram, and the workspace's webhooks. */
export const ChannelsCard = ({ workspace, canManageWebhooks, onDeliveriesChanged }: { workspace: Workspace; canManageWebhooks: boolean; onDeliveriesChanged: () => void }) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchChannels(client, workspace.id, signal), [client, workspace.id])
  const channels = useResource(load, { refreshMs: 30_000 })
  const [shown, setShown] = useState<{ linkCode?: LinkCode; webhook?: WebhookCreated }>({})

  const changed = () => {
    channels.reload()
    onDeliveriesChanged()
  }

  return (
    <section className="card mon-section" aria-labelledby="channels-title">
      <h3 id="channels-title" className="card__title">
        Channels
      </h3>
      <p className="card__intro">Every alert appears in the inbox. Channels also send the ones at or above their level. Email and Telegram messages carry your anti-phishing code.</p>
      <ResourceView resource={channels.resource} loadingLabel="Loading channels" onRetry={channels.reload}>
        {(list) =>
          list.length === 0 ? (
            <p className="empty">No channels yet: alerts appear in the inbox only.</p>
          ) : (
            <ul className="rows" aria-label="Notification channels">
              {list.map((channel) => (
                <ChannelRow key={channel.id} workspaceId={workspace.id} channel={channel} onChanged={changed} onLinkCode={(linkCode) => setShown({ linkCode })} />
              ))}
            </ul>
          )
        }
      </ResourceView>
      {shown.linkCode === undefined ? null : <LinkCodePanel code={shown.linkCode} />}
      {shown.webhook === undefined ? null : <SecretPanel created={shown.webhook} />}
      <h4 className="subsection__title mon-subtitle">Add a channel</h4>
      <AddChannelForm
        workspace={workspace}
        canManageWebhooks={canManageWebhooks}
        onAdded={(result) => {
          setShown(result)
          changed()
        }}
      />
    </section>
  )
}

import { forgetDevice } from '../../api/account/mutations'
import { fetchDevices } from '../../api/account/queries'
import { ActionError } from '../../components/action-error'
import { ResourceView } from '../../components/resource-view'
import { TimeText } from '../../components/time-text'
import type { KnownDevice } from '../../lib/account-parsers'
import { useAppSession, useClientResource } from '../../lib/session-context'
import { useAction } from '../../lib/use-action'
import { SectionCard } from './section-card'

const DeviceRow = ({ device, onForgotten }: { device: KnownDevice; onForgotten: () => void }) => {
  const { client } = useAppSession()
  const action = useAction()
  return (
    <li className="row">
      <div className="row__main">
        <p className="row__title">{device.device}</p>
        <p className="row__meta">
          First seen <TimeText iso={device.firstSeenAt} /> · last seen <TimeText iso={device.lastSeenAt} />
          {device.lastIp === null ? null : <> · {device.lastIp}</>}
        </p>
        <ActionError action={action} />
      </div>
      <div className="row__actions">
        <button
          type="button"
          className="button button--secondary button--small"
          aria-label={`Forget device ${device.device}`}
          disabled={action.isBusy}
          onClick={() =>
            void action.run(async () => {
              await forgetDevice(client, device.id)
              onForgotten()
            })
          }
        >
          Forget
        </button>
      </div>
    </li>
  )
}

/** Devices that signed in before: a sign-in from a new one sends an email alert. */
export const DevicesSection = () => {
  const devices = useClientResource(fetchDevices)
  return (
    <SectionCard
      id="devices"
      title="Known devices"
      intro="A sign-in from a device that is not on this list sends you an email. Forget a device to be told again next time it signs in."
    >
      <ResourceView resource={devices.resource} loadingLabel="Loading devices" onRetry={devices.reload}>
        {(list) =>
          list.length === 0 ? (
            <p className="empty">No known devices yet.</p>
          ) : (
            <ul className="rows" aria-label="Known devices">
              {list.map((device) => (
                <DeviceRow key={device.id} device={device} onForgotten={devices.reload} />
              ))}
            </ul>
          )
        }
      </ResourceView>
    </SectionCard>
  )
}

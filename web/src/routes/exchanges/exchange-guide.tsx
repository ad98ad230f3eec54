import { CopyButton } from '../../components/copy-button'
import { Notice } from '../../components/notice'
import { StatusBadge } from '../../components/status-badge'
import { asSentence } from '../../lib/account-format'
import type { CatalogueEntry } from '../../lib/exchange-parsers'
import { permissionChecklist } from '../../lib/exchange-permissions'

type Props = { entry: CatalogueEntry; egressIps: readonly string[] }

/** The addresses to whitelist, one per line for the exchange's form, with a Copy button; or what the operator has to set. */
export const EgressIps = ({ egressIps, exchangeName }: { egressIps: readonly string[]; exchangeName: string }) =>
  egressIps.length > 0 ? (
    <section className="guide-box" aria-labelledby="guide-ips-title">
      <h5 id="guide-ips-title" className="guide-box__title">
        Restrict the key to these IP addresses
      </h5>
      <p className="field__help">Bulwark calls {exchangeName} only from them, so a key that leaks is useless anywhere else.</p>
      <ul className="ip-list ip-list--large" aria-label="Egress IP addresses">
        {egressIps.map((ip) => (
          <li key={ip}>
            <code>{ip}</code>
          </li>
        ))}
      </ul>
      <div className="form__actions">
        <CopyButton text={egressIps.join('\n')} label={egressIps.length === 1 ? 'Copy IP address' : 'Copy IP addresses'} className="button button--secondary button--small" />
      </div>
    </section>
  ) : (
    <Notice tone="warning">
      <p>
        <strong>No IP addresses to whitelist yet.</strong> This Bulwark does not know the fixed addresses it calls exchanges from, so the key cannot be
        restricted to them, and a key without an IP whitelist works from anywhere if it leaks.
      </p>
      <p>
        For your operator: set <code>BULWARK_EGRESS_IPS</code> to the outgoing addresses (comma-separated, e.g. <code>203.0.113.7,203.0.113.8</code>) and
        restart Bulwark; they then appear here.
      </p>
    </Notice>
  )

/**
 * Step 2: how to create the key at the exchange. The boxes to tick and to leave unticked (in the
 * exchange's words), the addresses to whitelist, the exchange's API page, and its full steps from the
 * catalogue. A venue whose permissions Bulwark cannot read is said plainly: nobody checks that key's
 * withdrawal rights but the person creating it.
 */
export const ExchangeGuide = ({ entry, egressIps }: Props) => {
  const checklist = permissionChecklist(entry.id)
  const steps = entry.keyGuide?.steps ?? []
  return (
    <div className="guide-flow">
      {entry.keyGuide?.url === undefined ? null : (
        <p>
          <a className="button button--secondary button--small" href={entry.keyGuide.url} target="_blank" rel="noopener noreferrer">
            Open the API key page at {entry.name}
            <span className="visually-hidden"> (opens in a new tab)</span>
          </a>
        </p>
      )}
      {checklist === undefined ? null : (
        <div className="permission-lists">
          <section className="guide-box" aria-labelledby="guide-tick-title">
            <h5 id="guide-tick-title" className="guide-box__title">
              Tick only these
            </h5>
            <ul className="permission-list" aria-label={`Permissions to tick at ${entry.name}`}>
              {checklist.tick.map((name) => (
                <li key={name}>
                  <StatusBadge tone="ok" label={name} />
                </li>
              ))}
            </ul>
          </section>
          <section className="guide-box" aria-labelledby="guide-untick-title">
            <h5 id="guide-untick-title" className="guide-box__title">
              Leave these unticked
            </h5>
            <ul className="permission-list" aria-label={`Permissions to leave unticked at ${entry.name}`}>
              {checklist.untick.map((name) => (
                <li key={name}>
                  <StatusBadge tone="bad" label={name} />
                </li>
              ))}
            </ul>
            <p className="field__help">Bulwark refuses a key that can withdraw or transfer funds.</p>
          </section>
        </div>
      )}
      <EgressIps egressIps={egressIps} exchangeName={entry.name} />
      {steps.length > 0 ? (
        <section className="guide-box" aria-labelledby="guide-steps-title">
          <h5 id="guide-steps-title" className="guide-box__title">
            Step by step at {entry.name}
          </h5>
          <ol className="guide__steps">
            {steps.map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ol>
        </section>
      ) : checklist === undefined ? (
        <p>Create an API key that can read and trade, and nothing else: no withdrawals, no transfers.</p>
      ) : null}
      {entry.canVerify ? null : (
        <Notice tone="warning">
          <p>
            {asSentence(entry.unverifiableReason ?? `cannot be verified on ${entry.name}`).replace(/\.$/, '')}. Bulwark cannot read this key's permissions, so
            make sure yourself that withdrawals and transfers are off. The key is stored as unverified.
          </p>
        </Notice>
      )}
    </div>
  )
}

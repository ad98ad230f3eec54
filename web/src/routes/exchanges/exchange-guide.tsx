import { CopyButton } from '../../components/copy-button'
import { Notice } from '../../components/notice'
import { asSentence } from '../../lib/account-format'
import type { CatalogueEntry } from '../../lib/exchange-parsers'

type Props = { entry: CatalogueEntry; egressIps: readonly string[]; headingId: string }

/**
 * How to create the key at the exchange: the catalogue's steps, its API page, and the addresses to
 * whitelist. A venue whose permissions Bulwark cannot read is said plainly: nobody checks that
 * key's withdrawal rights but the person creating it.
 */
export const ExchangeGuide = ({ entry, egressIps, headingId }: Props) => (
  <section className="guide" aria-labelledby={headingId}>
    <h4 id={headingId} className="subsection__title">
      Create the key at {entry.name}
    </h4>
    {entry.keyGuide !== undefined && entry.keyGuide.steps.length > 0 ? (
      <ol className="guide__steps">
        {entry.keyGuide.steps.map((step) => (
          <li key={step}>{step}</li>
        ))}
      </ol>
    ) : (
      <p>Create an API key that can read and trade, and nothing else: no withdrawals, no transfers.</p>
    )}
    {entry.keyGuide?.url === undefined ? null : (
      <p>
        <a href={entry.keyGuide.url} target="_blank" rel="noopener noreferrer">
          Open the API key page at {entry.name}
          <span className="visually-hidden"> (opens in a new tab)</span>
        </a>
      </p>
    )}
    {egressIps.length > 0 ? (
      <div className="guide__ips">
        <p>Whitelist these IP addresses on the key (Bulwark calls {entry.name} only from them):</p>
        <ul className="ip-list" aria-label="Egress IP addresses">
          {egressIps.map((ip) => (
            <li key={ip}>
              <code>{ip}</code>
            </li>
          ))}
        </ul>
        <div className="form__actions">
          <CopyButton text={egressIps.join('\n')} label="Copy IP addresses" className="button button--secondary button--small" />
        </div>
      </div>
    ) : (
      <Notice tone="warning">
        <p>
          This Bulwark has no fixed outgoing IP addresses configured (BULWARK_EGRESS_IPS), so the key cannot be restricted to them. Ask your operator: a key
          without an IP whitelist works from anywhere if it leaks.
        </p>
      </Notice>
    )}
    {entry.canVerify ? null : (
      <Notice tone="warning">
        <p>
          {asSentence(entry.unverifiableReason ?? `cannot be verified on ${entry.name}`).replace(/\.$/, '')}. Bulwark cannot read this key's permissions, so make sure yourself that
          withdrawals and transfers are off. The key is stored as unverified.
        </p>
      </Notice>
    )}
  </section>
)

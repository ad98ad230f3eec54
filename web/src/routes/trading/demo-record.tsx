import { useCallback, useState } from 'react'
import { fetchDemoRecord, type BotView, type DemoRecord, type TradingAccountView } from '../../api/trading/queries'
import { ResourceView } from '../../components/resource-view'
import { pnlClass } from '../../lib/demo-format'
import { useAppSession } from '../../lib/session-context'
import { useResource } from '../../lib/use-resource'
import { PromotionDialog } from './promotion-dialog'

/** "7 of 12 (58 %)". */
export const winsText = (record: Pick<DemoRecord, 'trades' | 'wins'>): string =>
  record.trades === 0 ? 'no trades yet' : `${record.wins} of ${record.trades} (${Math.round((record.wins / record.trades) * 100)} %)`

/** The demo record: what a promotion to real money is decided on. */
export const DemoRecordFacts = ({ record }: { record: DemoRecord }) => (
  <dl className="details trading-record" aria-label="Demo record">
    <div className="details__row">
      <dt>Trades</dt>
      <dd className="num">{record.trades}</dd>
    </div>
    <div className="details__row">
      <dt>Winning trades</dt>
      <dd className="num">{winsText(record)}</dd>
    </div>
    <div className="details__row">
      <dt>Realized PnL</dt>
      <dd className={pnlClass(record.realizedPnl)}>
        {record.realizedPnl} {record.currency}
      </dd>
    </div>
    <div className="details__row">
      <dt>Fees paid</dt>
      <dd className="num">
        {record.fees} {record.currency}
      </dd>
    </div>
    <div className="details__row">
      <dt>Max drawdown</dt>
      <dd className="num">
        {record.maxDrawdown} {record.currency}
      </dd>
    </div>
    <div className="details__row">
      <dt>Days run</dt>
      <dd className="num">{record.daysRun}</dd>
    </div>
  </dl>
)

type Props = {
  workspaceId: string
  bot: BotView
  accounts: readonly TradingAccountView[]
  canPromote: boolean
  onPromoted: () => void
}

/** A demo bot's record, and the way to move it to a real account. */
export const DemoRecordPanel = ({ workspaceId, bot, accounts, canPromote, onPromoted }: Props) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchDemoRecord(client, workspaceId, bot.id, signal), [client, workspaceId, bot.id])
  const record = useResource(load)
  const [isPromoting, setIsPromoting] = useState(false)
  return (
    <ResourceView resource={record.resource} loadingLabel="Loading the demo record" onRetry={record.reload}>
      {(data) => (
        <div className="stack">
          <DemoRecordFacts record={data} />
          {canPromote ? (
            <div className="form__actions">
              <button
                type="button"
                className="button button--primary"
                onClick={() => setIsPromoting(true)}
              >
                Promote to a real account
              </button>
            </div>
          ) : null}
          {isPromoting ? (
            <PromotionDialog
              workspaceId={workspaceId}
              bot={bot}
              record={data}
              accounts={accounts}
              onClose={() => setIsPromoting(false)}
              onPromoted={() => {
                setIsPromoting(false)
                onPromoted()
              }}
            />
          ) : null}
        </div>
      )}
    </ResourceView>
  )
}

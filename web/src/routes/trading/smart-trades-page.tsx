import { PageHeading } from '../../components/page-heading'
import type { Workspace } from '../../lib/account-parsers'
import { TradePage } from '../trade/trade-page'
import { HaltBanner } from './halt-banner'
import { SmartTradeDetail } from './smart-trade-detail'
import { UnknownOrdersNotice } from './unknown-orders'
import '../demo/demo.css'
import './trading.css'

const noListToReload = (): void => undefined

/**
 * One trade with the kill switch above it: halting is at hand wherever trades are watched. The detail
 * polls its own trade, so a change made here has no list to reload.
 */
const OneSmartTrade = ({ workspace, itemId }: { workspace: Workspace; itemId: string }) => (
  <>
    <HaltBanner workspace={workspace} onChanged={noListToReload} />
    <UnknownOrdersNotice workspaceId={workspace.id} />
    <SmartTradeDetail key={itemId} workspace={workspace} botId={itemId} onChanged={noListToReload} />
  </>
)

/**
 * "/smart-trades" is the Trade page (chart, form, the workspace's Smart Trades); "/smart-trades/<id>"
 * shows one trade: its live state, orders and exits, with the kill switch above.
 */
export const SmartTradesPage = ({ workspace, itemId }: { workspace: Workspace | undefined; itemId: string | undefined }) => {
  if (itemId === undefined) return <TradePage workspace={workspace} />
  return (
    <div className="trading-page">
      <div className="page-intro">
        {/* Keyed: opening one trade is a new page, whose heading takes focus. */}
        <PageHeading key={itemId} id="smart-trades-title" title="Smart Trade" className="page-title" />
      </div>
      {workspace === undefined ? (
        <section className="card">
          <p>You are not a member of any workspace yet, so there are no Smart Trades to show.</p>
        </section>
      ) : (
        <OneSmartTrade key={workspace.id} workspace={workspace} itemId={itemId} />
      )}
    </div>
  )
}

import type { ReactNode } from 'react'
import { TimeText } from '../../components/time-text'
import { isoOf, pnlClass } from '../../lib/demo-format'
import { orderTypeLabels, type DemoOrderType } from '../../lib/demo-order-validation'
import type { BalanceLine, DemoFill, DemoOrder, DemoPnl, DemoPosition } from '../../lib/demo-parsers'

/** The demo account's numbers as tables. Values are shown as the server wrote them (decimal strings). */

const typeText = (type: string): string => orderTypeLabels[type as DemoOrderType] ?? type

/** A table that scrolls sideways on a narrow screen; focusable so a keyboard can scroll it too. */
const Table = ({ label, head, children }: { label: string; head: readonly string[]; children: ReactNode }) => (
  <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
    <table className="data-table">
      <caption className="visually-hidden">{label}</caption>
      <thead>
        <tr>
          {head.map((title) => (
            <th key={title} scope="col">
              {title}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
)

export const BalancesTable = ({ lines }: { lines: readonly BalanceLine[] }) =>
  lines.length === 0 ? (
    <p className="empty">No balances.</p>
  ) : (
    <Table label="Balances" head={['Asset', 'Free', 'In orders', 'Total']}>
      {lines.map((line) => (
        <tr key={line.asset}>
          <th scope="row">{line.asset}</th>
          <td className="num">{line.free}</td>
          <td className="num">{line.used}</td>
          <td className="num">{line.total}</td>
        </tr>
      ))}
    </Table>
  )

/** Equity and what made it: realized and unrealized PnL, fees paid, funding received or paid. */
export const PnlSummary = ({ pnl, currency }: { pnl: DemoPnl; currency: string }) => (
  <dl className="details pnl-summary" aria-label="Profit and loss">
    <div className="details__row">
      <dt>Equity</dt>
      <dd className="num">
        {pnl.equity} {currency}
      </dd>
    </div>
    <div className="details__row">
      <dt>Realized PnL</dt>
      <dd className={pnlClass(pnl.realizedPnl)}>{pnl.realizedPnl}</dd>
    </div>
    <div className="details__row">
      <dt>Unrealized PnL</dt>
      <dd className={pnlClass(pnl.unrealizedPnl)}>{pnl.unrealizedPnl}</dd>
    </div>
    <div className="details__row">
      <dt>Fees paid</dt>
      <dd className="num">{pnl.fees}</dd>
    </div>
    <div className="details__row">
      <dt>Funding</dt>
      <dd className={pnlClass(pnl.funding)}>{pnl.funding}</dd>
    </div>
  </dl>
)

type OrdersProps = {
  orders: readonly DemoOrder[]
  /** The order whose cancel request is running, if any. */
  cancellingId: string | undefined
  onCancel: (order: DemoOrder) => void
}

export const OpenOrdersTable = ({ orders, cancellingId, onCancel }: OrdersProps) =>
  orders.length === 0 ? (
    <p className="empty">No open orders.</p>
  ) : (
    <Table label="Open orders" head={['Placed', 'Symbol', 'Side', 'Type', 'Price', 'Stop price', 'Amount', 'Filled', '']}>
      {orders.map((order) => (
        <tr key={order.id}>
          <td>{order.timestampMs === null ? '—' : <TimeText iso={isoOf(order.timestampMs)} />}</td>
          <td>{order.symbol}</td>
          <td className={`side side--${order.side}`}>{order.side === 'buy' ? 'Buy' : 'Sell'}</td>
          <td>{typeText(order.type)}</td>
          <td className="num">{order.price ?? '—'}</td>
          <td className="num">{order.stopPrice ?? '—'}</td>
          <td className="num">{order.amount ?? '—'}</td>
          <td className="num">{order.filled ?? '—'}</td>
          <td>
            <button
              type="button"
              className="button button--secondary button--small"
              aria-label={`Cancel order ${order.id}`}
              disabled={cancellingId !== undefined}
              onClick={() => onCancel(order)}
            >
              {cancellingId === order.id ? 'Cancelling…' : 'Cancel'}
            </button>
          </td>
        </tr>
      ))}
    </Table>
  )

export const FillsTable = ({ fills }: { fills: readonly DemoFill[] }) =>
  fills.length === 0 ? (
    <p className="empty">No fills yet.</p>
  ) : (
    <Table label="Fills" head={['Time', 'Symbol', 'Side', 'Price', 'Amount', 'Fee', 'Liquidity', 'Order']}>
      {fills.map((fill) => (
        <tr key={fill.id}>
          <td>
            <TimeText iso={isoOf(fill.timestampMs)} />
          </td>
          <td>{fill.symbol}</td>
          <td className={`side side--${fill.side}`}>{fill.side === 'buy' ? 'Buy' : 'Sell'}</td>
          <td className="num">{fill.price}</td>
          <td className="num">{fill.amount}</td>
          <td className="num">
            {fill.fee.cost} {fill.fee.currency}
          </td>
          <td>{fill.liquidity === 'maker' ? 'Maker' : 'Taker'}</td>
          <td>{fill.orderId}</td>
        </tr>
      ))}
    </Table>
  )

export const PositionsTable = ({ positions }: { positions: readonly DemoPosition[] }) =>
  positions.length === 0 ? (
    <p className="empty">No open positions.</p>
  ) : (
    <Table
      label="Positions"
      head={['Symbol', 'Side', 'Size', 'Entry price', 'Mark price', 'Unrealized PnL', 'ROE', 'Liquidation price', 'Leverage', 'Margin mode']}
    >
      {positions.map((position) => (
        <tr key={`${position.symbol}:${position.side}`}>
          <th scope="row">{position.symbol}</th>
          <td className={`side side--${position.side === 'long' ? 'buy' : 'sell'}`}>{position.side === 'long' ? 'Long' : 'Short'}</td>
          <td className="num">{position.contracts}</td>
          <td className="num">{position.entryPrice}</td>
          <td className="num">{position.markPrice ?? '—'}</td>
          <td className={pnlClass(position.unrealizedPnl)}>{position.unrealizedPnl}</td>
          <td className={pnlClass(position.roePct)}>{position.roePct} %</td>
          <td className="num">{position.liquidationPrice ?? '—'}</td>
          <td className="num">{position.leverage}×</td>
          <td>{position.marginMode === 'cross' ? 'Cross' : 'Isolated'}</td>
        </tr>
      ))}
    </Table>
  )

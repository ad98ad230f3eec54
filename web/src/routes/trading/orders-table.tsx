import type { OrderView } from '../../api/trading/queries'
import { StatusBadge } from '../../components/status-badge'
import { TimeText } from '../../components/time-text'
import { DataTable } from '../../components/data-table'
import { words } from './live-state'
import { orderStateText, orderStateTone, purposeText } from './trading-format'

/**
 * A bot's orders from the journal: what it asked for, what the exchange did, fills, fees, and the
 * exchange's reason for a refusal. An order whose answer was lost says so (reconciliation resolves it).
 * The state comes right after the purpose, so it shows without scrolling on a narrow screen.
 */
export const OrdersTable = ({ orders }: { orders: readonly OrderView[] }) =>
  orders.length === 0 ? (
    <p className="empty">No orders yet.</p>
  ) : (
    <DataTable label="Orders" head={['Created', 'Purpose', 'State', 'Side', 'Type', 'Amount', 'Price', 'Stop price', 'Filled', 'Average', 'Fee', 'Client order id']} numeric={[5, 6, 7, 8, 9, 10]}>
      {orders.map((order) => (
        <tr key={order.id}>
          <td>
            <TimeText iso={order.createdAt} />
          </td>
          <td>{purposeText(order.purpose)}</td>
          <td>
            <StatusBadge tone={orderStateTone(order)} label={orderStateText(order)} />
            {order.reason === null ? null : <span className="trading-reason">{order.reason}</span>}
          </td>
          <td className={`side side--${order.side}`}>{order.side === 'buy' ? 'Buy' : 'Sell'}</td>
          <td>
            {words(order.type)}
            {order.reduceOnly ? <span className="tag trading-tag">reduce-only</span> : null}
          </td>
          <td className="num">{order.amount}</td>
          <td className="num">{order.price ?? '—'}</td>
          <td className="num">{order.stopPrice ?? '—'}</td>
          <td className="num">{order.filled}</td>
          <td className="num">{order.average ?? '—'}</td>
          <td className="num">{order.fee === null ? '—' : `${order.fee} ${order.feeCurrency ?? ''}`.trim()}</td>
          <td>
            <code className="trading-code">{order.clientOrderId}</code>
          </td>
        </tr>
      ))}
    </DataTable>
  )

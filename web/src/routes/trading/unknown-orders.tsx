import { useCallback } from 'react'
import { fetchOrders } from '../../api/trading/queries'
import { Notice } from '../../components/notice'
import { plural } from '../../lib/account-format'
import { useAppSession } from '../../lib/session-context'
import { useLiveResource } from './use-live-refresh'


/**
 * Orders whose answer was lost (a timeout, a crash between sending and the answer). Reconciliation
 * finds them at the exchange; on venues where it cannot, they stay "unresolved" and are never sent
 * again, so a person has to look at the exchange. Shown only while there are any.
 */
export const UnknownOrdersNotice = ({ workspaceId }: { workspaceId: string }) => {
  const { client } = useAppSession()
  const load = useCallback((signal: AbortSignal) => fetchOrders(client, workspaceId, { state: 'unknown', limit: 100 }, signal), [client, workspaceId])
  const { resource } = useLiveResource(load, ['orders'])
  if (resource.status !== 'success' || resource.data.length === 0) return null
  const unresolved = resource.data.filter((order) => order.unresolved)
  const symbols = [...new Set(resource.data.map((order) => order.symbol))].join(', ')
  return (
    <Notice tone="warning">
      <p>
        {plural(resource.data.length, 'order', 'orders')} ({symbols}) lost the exchange's answer. Bulwark is looking them up at the exchange; none can end up placed twice.
        {unresolved.length === 0
          ? ''
          : ` ${plural(unresolved.length, 'order', 'orders')} cannot be found automatically on that exchange: check its order history, then the bot's orders here.`}
      </p>
    </Notice>
  )
}

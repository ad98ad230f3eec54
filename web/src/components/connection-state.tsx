import { liveStateText, useHasLive, useLiveState, type LiveState } from '../lib/live-events'
import './connection-state.css'

const tone: Readonly<Record<LiveState, 'ok' | 'pending' | 'warn' | 'bad'>> = {
  live: 'ok',
  connecting: 'pending',
  reconnecting: 'warn',
  offline: 'bad',
  unsupported: 'pending',
}

/**
 * The header's pill for the live stream: a dot and words ("Live", "Reconnecting…", "Offline: retrying"),
 * never colour alone. Announced politely when it changes. Nothing outside a LiveProvider.
 */
export const ConnectionState = () => {
  const state = useLiveState()
  if (!useHasLive()) return null
  return (
    <span className={`connection-state connection-state--${tone[state]}`} role="status" aria-live="polite">
      <span className="connection-state__dot" aria-hidden="true" />
      {liveStateText[state]}
    </span>
  )
}

import type { Clock } from '../../lib/clock.js'
import type { Logger } from '../../lib/logger.js'
import type { Alerts } from '../../monitoring/index.js'
import type { BotStore } from './bot-store.js'

/**
 * The runtime's heartbeat row in `trading_runtimes`, and the watch every runtime keeps on the others: a
 * runtime whose heartbeat is older than three beats and that did not stop cleanly is reported once (a
 * critical `bot_runtime_stalled` alert), by whichever runtime notices first — the report is a
 * compare-and-swap on `stall_reported_at`. Its bots need no action here: their leases expire and the
 * claim loop of a live runtime takes them over.
 */
export const createHeartbeat = (deps: {
  store: Pick<BotStore, 'registerRuntime' | 'beat' | 'reportStalled' | 'markStopped'>
  clock: Clock
  alerts: Pick<Alerts, 'raise'>
  logger?: Pick<Logger, 'warn' | 'error'> | undefined
  instanceId: string
  host: string
  heartbeatMs: number
}) => {
  const { store, clock, alerts, logger, instanceId, heartbeatMs } = deps
  let last: Date | null = null

  const register = async () => {
    const now = clock.now()
    await store.registerRuntime({ id: instanceId, host: deps.host, now })
    last = now
  }

  const beat = async () => {
    const now = clock.now()
    // The row can vanish (an operator cleaning up): register again rather than go silent.
    if (!(await store.beat({ id: instanceId, now }))) await store.registerRuntime({ id: instanceId, host: deps.host, now })
    last = now
  }

  /** Reports each newly stalled runtime once; returns their ids. */
  const checkOthers = async (): Promise<string[]> => {
    const now = clock.now()
    const stalled = await store.reportStalled({ self: instanceId, before: new Date(now.getTime() - 3 * heartbeatMs), now })
    for (const r of stalled) {
      logger?.warn({ runtimeId: r.id, host: r.host, heartbeatAt: r.heartbeatAt.toISOString() }, 'bot runtime stalled')
      await alerts.raise({
        workspaceId: null,
        rule: 'bot_runtime_stalled',
        severity: 'critical',
        details: { runtimeId: r.id, host: r.host, lastHeartbeatAt: r.heartbeatAt.toISOString(), silentForMs: now.getTime() - r.heartbeatAt.getTime() },
      })
    }
    return stalled.map((r) => r.id)
  }

  const stop = async () => {
    await store.markStopped({ id: instanceId, now: clock.now() })
  }

  return { register, beat, checkOthers, stop, lastHeartbeat: () => last }
}
export type Heartbeat = ReturnType<typeof createHeartbeat>

import type { Logger } from '../../lib/logger.js'
import type { Alerts } from '../alerts.js'

export type AlertStreamDeps = {
  alerts: Pick<Alerts, 'unreadCount' | 'onRaised'>
  logger?: Pick<Logger, 'warn'> | undefined
  /** Re-count for open streams this often: alerts raised or read through another api instance. */
  pollMs?: number
  /** A raise is announced possibly before its transaction commits: count again after this delay. */
  settleMs?: number
}

type Room = { listeners: Set<(unread: number) => void>; last: number | undefined; timer: NodeJS.Timeout; isCounting: boolean; isPending: boolean }

/**
 * The in-app live count of unread alerts, per workspace, shared by every open stream of that workspace in
 * this process: counted once per change (a raise here, `refresh` after a read, a poll for other
 * instances), pushed to listeners only when it moved.
 */
export const createAlertStream = ({ alerts, logger, pollMs = 5_000, settleMs = 200 }: AlertStreamDeps) => {
  const rooms = new Map<string, Room>()
  let unsubscribe: (() => void) | undefined

  const count = async (workspaceId: string, room: Room) => {
    if (room.isCounting) {
      room.isPending = true
      return
    }
    room.isCounting = true
    try {
      do {
        room.isPending = false
        const unread = await alerts.unreadCount(workspaceId)
        if (rooms.get(workspaceId) !== room) return
        if (unread !== room.last) {
          room.last = unread
          for (const listener of room.listeners) listener(unread)
        }
      } while (room.isPending)
    } catch (err) {
      logger?.warn({ workspaceId, error: err instanceof Error ? err.message : String(err) }, 'unread alert count failed')
    } finally {
      room.isCounting = false
    }
  }

  /** Counts again now (e.g. after an alert was marked read); a no-op without open streams. */
  const refresh = (workspaceId: string) => {
    const room = rooms.get(workspaceId)
    if (room) void count(workspaceId, room)
  }

  const onRaised = (workspaceId: string | null) => {
    if (workspaceId === null || !rooms.has(workspaceId)) return
    refresh(workspaceId)
    setTimeout(() => refresh(workspaceId), settleMs).unref()
  }

  /**
   * Calls `listener` with the current count at once, then with every change; returns the unsubscribe function.
   * @example const off = await stream.subscribe(ws, (n) => write(`event: unread\ndata: {"count":${n}}\n\n`))
   */
  const subscribe = async (workspaceId: string, listener: (unread: number) => void): Promise<() => void> => {
    unsubscribe ??= alerts.onRaised((alert) => onRaised(alert.workspaceId))
    let room = rooms.get(workspaceId)
    if (!room) {
      const timer = setInterval(() => refresh(workspaceId), pollMs)
      timer.unref()
      room = { listeners: new Set(), last: undefined, timer, isCounting: false, isPending: false }
      rooms.set(workspaceId, room)
    }
    const current = await alerts.unreadCount(workspaceId)
    listener(current)
    room.listeners.add(listener)
    // The others may hold an older count: let them catch up (no-op when it is the same).
    if (room.last === undefined) room.last = current
    else if (room.last !== current) refresh(workspaceId)
    const joined = room
    return () => {
      joined.listeners.delete(listener)
      if (joined.listeners.size === 0 && rooms.get(workspaceId) === joined) {
        clearInterval(joined.timer)
        rooms.delete(workspaceId)
      }
      if (rooms.size === 0) {
        unsubscribe?.()
        unsubscribe = undefined
      }
    }
  }

  /** Open streams per workspace (for tests and metrics). */
  const listenerCount = (workspaceId: string) => rooms.get(workspaceId)?.listeners.size ?? 0

  return { subscribe, refresh, listenerCount }
}

export type AlertStream = ReturnType<typeof createAlertStream>

import { sql, type SQL } from 'drizzle-orm'
import { rowsOf, type DbOrTx } from '../db/index.js'
import type { Logger } from '../lib/logger.js'
import { liveTopics, type LiveTopic } from './live-types.js'

/**
 * What changed in a workspace, for the dashboard's live stream (GET …/live). Bots may run in another
 * process and the demo engine in another api instance, so changes are read from the database, not heard
 * in-process: one shared poller per workspace with open streams runs one statement every `pollMs` that
 * yields a small fingerprint per source (mostly index probes: migration 0009 adds the two it needs; the
 * unread count and a few per-workspace aggregates read that workspace's rows), and
 * tells the listeners which topics moved. A listener then reloads what it shows through the normal API,
 * so the stream itself carries no data beyond topic names and the unread alert count.
 *
 * The same check reads who is a member: a listener subscribed for a person who no longer is (removed, left,
 * the workspace deleted) is told at once and dropped, so their stream ends within one check (at once when
 * the removal came through this instance, which pokes), not when it would have expired.
 */


/** `unread` is set when the unread alert count moved (a new listener gets the current count from `subscribe`). */
export type LiveChange = { topics: LiveTopic[]; unread?: number }
export type LiveListener = (change: LiveChange) => void
/** Whose listener it is: `onRemoved` runs once when that person is no longer a member of the workspace. */
export type LiveMember = { userId: string; onRemoved: () => void }

export type WorkspaceChangesDeps = {
  db: DbOrTx
  logger?: Pick<Logger, 'warn'> | undefined
  /** How often open workspaces are checked (default 1 s). */
  pollMs?: number
}

/** Demo engine event types (src/demo/engine) per topic; `queue` (queue position updates) is left out: noise. */
const demoEventTopics: Readonly<Record<'orders' | 'balances' | 'positions' | 'accounts', readonly string[]>> = {
  orders: ['order', 'fill'],
  balances: ['balance', 'wallet', 'deposit', 'account_reset'],
  positions: ['position', 'liquidation', 'funding', 'symbol_settings'],
  accounts: ['account'],
}

/**
 * The newest rows of a journal, by an indexed time column, summed up with their row versions (`xmin`): an
 * insert or an update enters them (its time is now), and a second change within the same millisecond (or
 * under a test's stopped clock) still moves the version sum. Reading them is one short backward index scan.
 */
const TAIL_ROWS = sql.raw('20')

const tailPrint = (table: SQL, where: SQL, time: SQL) =>
  sql`(select coalesce(max(t.changed_at)::text, '') || ':' || count(*)::text || ':' || coalesce(sum(t.row_version), 0)::text
       from (select ${time} as changed_at, xmin::text::bigint as row_version from ${table} where ${where} order by ${time} desc limit ${TAIL_ROWS}) t)`

/** Newest demo engine event of these types over the workspace's demo accounts: `seq` only grows. */
const demoPrint = (ws: string, types: readonly string[]) =>
  sql`(select max(greatest(${sql.join(
    types.map((type) => sql`(select max(e.seq) from demo_events e where e.account_id = a.id and e.type = ${type})`),
    sql`, `,
  )}))::text from demo_accounts a where a.workspace_id = ${ws})`

const fingerprintQuery = (ws: string) => sql`select
  (select count(*)::text || ':' || coalesce(sum(xmin::text::bigint), 0)::text from bots where workspace_id = ${ws}) as "bots",
  (select md5(coalesce(string_agg(${tailPrint(sql`bot_signals`, sql`bot_id = b.id`, sql`received_at`)}, ',' order by b.id), ''))
     from bots b where b.workspace_id = ${ws}) as "signals",
  ${tailPrint(sql`order_intents`, sql`workspace_id = ${ws} and account_kind = 'demo'`, sql`updated_at`)} as "demoIntents",
  ${tailPrint(sql`order_intents`, sql`workspace_id = ${ws} and account_kind = 'exchange'`, sql`updated_at`)} as "exchangeIntents",
  ${demoPrint(ws, demoEventTopics.orders)} as "demoOrders",
  ${demoPrint(ws, demoEventTopics.balances)} as "demoBalances",
  ${demoPrint(ws, demoEventTopics.positions)} as "demoPositions",
  ${demoPrint(ws, demoEventTopics.accounts)} as "demoSettings",
  (select count(*)::int from alerts where workspace_id = ${ws} and read_at is null) as "unread",
  ${tailPrint(sql`alerts`, sql`workspace_id = ${ws}`, sql`created_at`)} as "newestAlerts",
  (select md5(coalesce(string_agg(concat_ws('|', id, state, label, key_id, testnet, last_verified_at, removed_at, verification::text), ',' order by id), ''))
     from exchange_accounts where workspace_id = ${ws}) as "exchangeAccounts",
  (select count(*)::text || ':' || coalesce(sum(xmin::text::bigint), 0)::text from demo_accounts where workspace_id = ${ws}) as "demoAccounts",
  (select coalesce(locked_at::text, '') from workspaces where id = ${ws}) as "locked",
  (select concat_ws('|', id, state, xmin) from incidents where workspace_id = ${ws} and state <> 'resolved') as "incident",
  (select concat_ws('|', halted_at, xmin) from trading_halts where workspace_id = ${ws}) as "halt",
  (select count(*)::text || ':' || coalesce(sum(xmin::text::bigint), 0)::text from memberships where workspace_id = ${ws})
    || '/' || (select count(*)::text || ':' || coalesce(sum(xmin::text::bigint), 0)::text from member_account_grants where workspace_id = ${ws})
    || '/' || (select count(*)::text || ':' || coalesce(sum(xmin::text::bigint), 0)::text from workspace_invitations where workspace_id = ${ws}) as "members",
  (select count(*)::text || ':' || coalesce(sum(xmin::text::bigint), 0)::text from approval_requests where workspace_id = ${ws}) as "approvals",
  (select coalesce(string_agg(user_id::text, ',' order by user_id), '') from memberships where workspace_id = ${ws}) as "memberIds"`

type Fingerprint = Record<Exclude<keyof typeof topicsOfSource, 'unread'>, string | null> & { unread: number; memberIds: string }

/** Which topics a moved fingerprint announces. Exchange balances and positions are fetched live from the venue: they may have moved once its orders did. */
const topicsOfSource = {
  bots: ['bots'],
  signals: ['signals'],
  demoIntents: ['orders'],
  exchangeIntents: ['orders', 'balances', 'positions'],
  demoOrders: ['orders'],
  demoBalances: ['balances'],
  demoPositions: ['positions'],
  demoSettings: ['accounts'],
  unread: ['alerts'],
  newestAlerts: ['alerts'],
  exchangeAccounts: ['accounts'],
  demoAccounts: ['accounts'],
  locked: ['lock'],
  incident: ['lock'],
  // The kill switch stops every bot: the bot pages show it as well as the banner.
  halt: ['lock', 'bots'],
  members: ['members'],
  approvals: ['approvals'],
} as const satisfies Record<string, readonly LiveTopic[]>

const sources = Object.keys(topicsOfSource) as (keyof typeof topicsOfSource)[]

/** The topics whose sources differ between two fingerprints, in `liveTopics` order. */
export const changedTopics = (before: Fingerprint, after: Fingerprint): LiveTopic[] => {
  const moved = new Set<LiveTopic>()
  for (const source of sources) if (before[source] !== after[source]) for (const topic of topicsOfSource[source]) moved.add(topic)
  return liveTopics.filter((t) => moved.has(t))
}

type Room = {
  /** Each listener with the member it listens for (none: a listener of the process itself, e.g. a test). */
  listeners: Map<LiveListener, LiveMember | undefined>
  last: Fingerprint | undefined
  /** The first fingerprint: listeners join once it is known, so they hear only later changes. */
  ready: Promise<void>
  timer: NodeJS.Timeout
  isPolling: boolean
  isPending: boolean
}

export const createWorkspaceChanges = ({ db, logger, pollMs = 1_000 }: WorkspaceChangesDeps) => {
  const rooms = new Map<string, Room>()

  const fingerprint = async (workspaceId: string): Promise<Fingerprint> => {
    const [row] = rowsOf<Fingerprint>(await db.execute(fingerprintQuery(workspaceId)))
    if (!row) throw new Error('the change fingerprint query returned no row')
    return { ...row, unread: Number(row.unread), memberIds: row.memberIds ?? '' }
  }

  /** Drops (and tells) every listener whose person is not a member any more; checked on every poll, not only on change. */
  const dropFormerMembers = (workspaceId: string, room: Room, memberIds: string) => {
    const members = new Set(memberIds === '' ? [] : memberIds.split(','))
    for (const [listener, member] of room.listeners) {
      if (!member || members.has(member.userId)) continue
      room.listeners.delete(listener)
      try {
        member.onRemoved()
      } catch (err) {
        logger?.warn({ workspaceId, error: err instanceof Error ? err.message : String(err) }, 'ending a former member\'s live listener failed')
      }
    }
    if (room.listeners.size === 0) closeRoom(workspaceId, room)
  }

  const poll = async (workspaceId: string, room: Room) => {
    if (room.isPolling) {
      room.isPending = true
      return
    }
    room.isPolling = true
    try {
      do {
        room.isPending = false
        const next = await fingerprint(workspaceId)
        if (rooms.get(workspaceId) !== room) return
        const last = room.last
        room.last = next
        dropFormerMembers(workspaceId, room, next.memberIds)
        if (rooms.get(workspaceId) !== room) return
        if (last === undefined) continue
        const topics = changedTopics(last, next)
        if (topics.length === 0) continue
        const change: LiveChange = next.unread === last.unread ? { topics } : { topics, unread: next.unread }
        for (const listener of [...room.listeners.keys()]) {
          // One broken listener (a stream that failed to write) must not keep the change from the others.
          try {
            listener(change)
          } catch (err) {
            logger?.warn({ workspaceId, error: err instanceof Error ? err.message : String(err) }, 'a live listener failed')
          }
        }
      } while (room.isPending)
    } catch (err) {
      logger?.warn({ workspaceId, error: err instanceof Error ? err.message : String(err) }, 'live change check failed')
    } finally {
      room.isPolling = false
    }
  }

  const closeRoom = (workspaceId: string, room: Room) => {
    clearInterval(room.timer)
    if (rooms.get(workspaceId) === room) rooms.delete(workspaceId)
  }

  /** Checks now rather than at the next tick (e.g. right after a request changed something); a no-op without open streams. */
  const poke = (workspaceId: string) => {
    const room = rooms.get(workspaceId)
    if (room?.last !== undefined) void poll(workspaceId, room)
  }

  /**
   * Calls `listener` with every later change of the workspace; resolves, once the starting point is known,
   * with the current unread alert count and the function that stops listening. With `member`, the listener
   * is dropped and `member.onRemoved` runs as soon as a check finds that person no longer a member (the
   * caller authorized them just before subscribing; a check within `pollMs` catches a removal in between).
   * @throws the database's error when the first check fails (the caller ends its stream; the client retries)
   * @example const { unread, off } = await changes.subscribe(ws, ({ topics }) => send('changed', { topics }))
   */
  const subscribe = async (workspaceId: string, listener: LiveListener, member?: LiveMember): Promise<{ unread: number; off: () => void }> => {
    let room = rooms.get(workspaceId)
    if (!room) {
      const timer = setInterval(() => {
        const current = rooms.get(workspaceId)
        if (current?.last !== undefined) void poll(workspaceId, current)
      }, pollMs)
      timer.unref()
      const created: Room = { listeners: new Map(), last: undefined, ready: Promise.resolve(), timer, isPolling: false, isPending: false }
      created.ready = fingerprint(workspaceId).then((first) => {
        created.last ??= first
      })
      room = created
      rooms.set(workspaceId, room)
    }
    const joined = room
    try {
      await joined.ready
    } catch (err) {
      if (joined.listeners.size === 0) closeRoom(workspaceId, joined)
      throw err
    }
    joined.listeners.set(listener, member)
    const off = () => {
      joined.listeners.delete(listener)
      if (joined.listeners.size === 0) closeRoom(workspaceId, joined)
    }
    return { unread: joined.last?.unread ?? 0, off }
  }

  /** Open listeners of a workspace (tests, metrics); 0 once its poller stopped. */
  const listenerCount = (workspaceId: string) => rooms.get(workspaceId)?.listeners.size ?? 0
  /** Workspaces with a running poller. */
  const pollerCount = () => rooms.size

  /** Stops every poller (process shutdown); listeners hear nothing more. */
  const close = () => {
    for (const [workspaceId, room] of rooms) closeRoom(workspaceId, room)
  }

  return { subscribe, poke, listenerCount, pollerCount, close }
}

export type WorkspaceChanges = ReturnType<typeof createWorkspaceChanges>

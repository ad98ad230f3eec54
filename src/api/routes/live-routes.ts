import { z } from 'zod'
import type { ApiTokens, SessionService } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import { liveTopics, type WorkspaceChanges } from '../../live/index.js'
import type { App } from '../app-types.js'
import { callerKey, createEventStreams } from '../event-stream.js'
import { actorOf, authorizeWorkspace, requireActor } from '../session-guard.js'

export type LiveRouteDeps = {
  db: Db
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  changes: Pick<WorkspaceChanges, 'subscribe' | 'poke'>
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number
  /**
   * A stream ends after this long and the browser's EventSource reconnects through the full session check:
   * an ended session (sign-out, lockdown) stops receiving changes within this time. A removed membership
   * ends the stream at the next change check (`changes.subscribe` with the member).
   */
  maxStreamMs?: number
}

const ws = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const WORKSPACE_ROUTE_PREFIX = '/api/workspaces/:workspaceId/'
const CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/**
 * The dashboard's live data (server-sent events): which parts of a workspace changed, so open pages reload
 * them instead of polling. Same guard as every workspace read (session or read-scoped token, membership).
 */
export const liveRoutes = (app: App, deps: LiveRouteDeps) => {
  const { db, sessions, apiTokens, changes } = deps
  const heartbeatMs = deps.heartbeatMs ?? 25_000
  const maxStreamMs = deps.maxStreamMs ?? 5 * 60_000
  const member = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]

  const streams = createEventStreams(app, { heartbeatMs, maxStreamMs })
  // A change made through this instance is announced at once rather than at the next check.
  app.addHook('onResponse', async (req, reply) => {
    if (!CHANGING.has(req.method) || reply.statusCode >= 400 || !req.routeOptions.url?.startsWith(WORKSPACE_ROUTE_PREFIX)) return
    const workspaceId = (req.params as { workspaceId?: unknown }).workspaceId
    if (typeof workspaceId === 'string') changes.poke(workspaceId)
  })

  app.get(
    '/api/workspaces/:workspaceId/live',
    {
      schema: {
        tags: ['live'],
        params: ws,
        description:
          'Server-sent events: `event: hello` with `{"topics": [...]}` first (load everything once), `event: changed` with `{"topics": [...]}` ' +
          `whenever one of them changed (${liveTopics.join(', ')}), \`event: unread\` with \`{"count": n}\` at once and when the unread alert count moves; ` +
          'a comment line as heartbeat. Ends after a few minutes (EventSource reconnects), and at once when the caller stops being a member.',
      },
      config: { action: 'workspace.read' },
      preValidation: member,
    },
    async (req, reply) => {
      const { workspaceId } = req.params
      const stream = streams.open(reply, callerKey(req))
      try {
        // A member removed from the workspace (or who left it, or whose workspace was deleted) loses the stream
        // at the next check, not when it would have expired: their access ends at once.
        const joined = await changes.subscribe(
          workspaceId,
          ({ topics, unread }) => {
            if (topics.length > 0) stream.send('changed', { topics })
            if (unread !== undefined) stream.send('unread', { count: unread })
          },
          { userId: actorOf(req).userId, onRemoved: () => stream.end() },
        )
        stream.onClose(joined.off)
        // After the starting point is taken: whatever the client loads on hello is at least that new.
        stream.send('hello', { topics: liveTopics })
        stream.send('unread', { count: joined.unread })
      } catch (err) {
        req.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'live stream could not start')
        stream.end()
      }
    },
  )
}

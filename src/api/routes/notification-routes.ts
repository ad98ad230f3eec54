import type { FastifyRequest } from 'fastify'
import { z } from 'zod'
import { isAllowed, type ApiTokens, type SessionService, type StepUp } from '../../auth/index.js'
import type { Db } from '../../db/index.js'
import { channelView, deliveryView, severitySchema, type AlertStream, type Alerts, type ChannelActor, type NotificationChannels } from '../../monitoring/index.js'
import type { App } from '../app-types.js'
import { callerKey, createEventStreams } from '../event-stream.js'
import { actorOf, authorizeWorkspace, requireActor, requireSession, requireStepUp } from '../session-guard.js'

export type NotificationRouteDeps = {
  db: Db
  sessions: SessionService
  apiTokens: Pick<ApiTokens, 'authenticate'>
  stepUp: Pick<StepUp, 'require'>
  channels: NotificationChannels
  alerts: Pick<Alerts, 'unreadCount'>
  stream: Pick<AlertStream, 'subscribe' | 'refresh'>
  /** SSE: a comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs?: number
  /**
   * SSE: a stream ends after this long and the browser's EventSource reconnects, through the full session
   * check: an ended session (sign-out, lockdown) stops receiving counts within this time.
   */
  maxStreamMs?: number
}

const ws = z.object({ workspaceId: z.string().uuid('must be a workspace id') })
const channelParams = ws.extend({ channelId: z.string().uuid('must be a notification channel id') })
const label = z.string().trim().min(1).max(80)
const createEmailBody = z.object({ minSeverity: severitySchema.optional() }).strict()
const createTelegramBody = z.object({ label: label.optional(), minSeverity: severitySchema.optional() }).strict()
const createWebhookBody = z.object({ url: z.string().min(8).max(2_000), label: label.optional(), minSeverity: severitySchema.optional() }).strict()
const patchBody = z
  .object({ label: label.optional(), minSeverity: severitySchema.optional(), isEnabled: z.boolean().optional() })
  .strict()
  .refine((b) => b.label !== undefined || b.minSeverity !== undefined || b.isEnabled !== undefined, 'change at least one of label, minSeverity, isEnabled')
const linkCodeView = z.object({ channel: channelView, linkCode: z.string(), expiresAt: z.string(), deepLink: z.string().optional() })
const webhookCreated = z.object({ channel: channelView, secret: z.string() })
const testResult = z.object({ ok: z.boolean(), status: z.number().nullable(), error: z.string().nullable() })
const deliveriesQuery = z
  .object({
    channelId: z.string().uuid().optional(),
    before: z.string().uuid().optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict()
const deliveriesPage = z.object({ items: z.array(deliveryView), nextBefore: z.string().nullable() })

const MARK_READ_ROUTE = '/api/workspaces/:workspaceId/alerts/:alertId/read'

/** The caller as a channel actor: webhooks are seen and managed by roles that may, and never through an API token. */
const channelActor = (req: FastifyRequest): ChannelActor => {
  const actor = actorOf(req)
  const role = req.workspaceRole
  return { userId: actor.userId, canManageWebhooks: actor.token === undefined && role !== undefined && isAllowed(role, 'notifications.webhooks'), ip: req.ip, requestId: req.id }
}

/**
 * Notification channels of a workspace (policy rows notifications.*): each member's own email and Telegram
 * channels, the workspace's outgoing webhooks (owners and admins), the delivery log; and the in-app live
 * unread count (SSE). Changes need a signed-in person; the ones that quieten alerts or send them somewhere new
 * (webhooks, disabling, removing, any edit) also need a fresh step-up (R32: "disabling alerts").
 */
export const notificationRoutes = (app: App, deps: NotificationRouteDeps) => {
  const { db, sessions, apiTokens, stepUp, channels, alerts, stream } = deps
  const heartbeatMs = deps.heartbeatMs ?? 25_000
  const maxStreamMs = deps.maxStreamMs ?? 5 * 60_000
  const member = [requireActor(sessions, apiTokens), authorizeWorkspace(db)]
  const person = [requireSession(sessions), authorizeWorkspace(db)]
  const sensitive = [...person, requireStepUp(stepUp, { workspaceParam: 'workspaceId' })]
  const base = '/api/workspaces/:workspaceId'
  const tags = ['notifications']

  app.get(`${base}/notification-channels`, { schema: { tags, params: ws, response: { 200: z.array(channelView) } }, config: { action: 'notifications.read' }, preValidation: member }, async (req) =>
    channels.list(req.params.workspaceId, channelActor(req)),
  )
  app.post(
    `${base}/notification-channels/email`,
    { schema: { tags, params: ws, body: createEmailBody, response: { 201: channelView } }, config: { action: 'notifications.manage' }, preValidation: person },
    async (req, reply) => reply.code(201).send(await channels.createEmail(req.params.workspaceId, channelActor(req), req.body)),
  )
  app.post(
    `${base}/notification-channels/telegram`,
    { schema: { tags, params: ws, body: createTelegramBody, response: { 201: linkCodeView } }, config: { action: 'notifications.manage' }, preValidation: person },
    async (req, reply) => reply.code(201).send(await channels.createTelegram(req.params.workspaceId, channelActor(req), req.body)),
  )
  app.post(
    `${base}/notification-channels/:channelId/link-code`,
    { schema: { tags, params: channelParams, response: { 200: linkCodeView } }, config: { action: 'notifications.manage' }, preValidation: person },
    async (req) => channels.newLinkCode(req.params.workspaceId, channelActor(req), req.params.channelId),
  )
  app.patch(
    `${base}/notification-channels/:channelId`,
    { schema: { tags, params: channelParams, body: patchBody, response: { 200: channelView } }, config: { action: 'notifications.manage' }, preValidation: sensitive },
    async (req) => channels.update(req.params.workspaceId, channelActor(req), req.params.channelId, 'member', req.body),
  )
  app.delete(`${base}/notification-channels/:channelId`, { schema: { tags, params: channelParams }, config: { action: 'notifications.manage' }, preValidation: sensitive }, async (req, reply) => {
    await channels.remove(req.params.workspaceId, channelActor(req), req.params.channelId, 'member')
    return reply.code(204).send()
  })

  app.post(
    `${base}/notification-webhooks`,
    { schema: { tags, params: ws, body: createWebhookBody, response: { 201: webhookCreated } }, config: { action: 'notifications.webhooks' }, preValidation: sensitive },
    async (req, reply) => reply.code(201).send(await channels.createWebhook(req.params.workspaceId, channelActor(req), req.body)),
  )
  app.patch(
    `${base}/notification-webhooks/:channelId`,
    { schema: { tags, params: channelParams, body: patchBody, response: { 200: channelView } }, config: { action: 'notifications.webhooks' }, preValidation: sensitive },
    async (req) => channels.update(req.params.workspaceId, channelActor(req), req.params.channelId, 'webhook', req.body),
  )
  app.delete(`${base}/notification-webhooks/:channelId`, { schema: { tags, params: channelParams }, config: { action: 'notifications.webhooks' }, preValidation: sensitive }, async (req, reply) => {
    await channels.remove(req.params.workspaceId, channelActor(req), req.params.channelId, 'webhook')
    return reply.code(204).send()
  })
  app.post(
    `${base}/notification-webhooks/:channelId/test`,
    { schema: { tags, params: channelParams, response: { 200: testResult } }, config: { action: 'notifications.webhooks' }, preValidation: person },
    async (req) => channels.testWebhook(req.params.workspaceId, channelActor(req), req.params.channelId),
  )

  app.get(
    `${base}/notification-deliveries`,
    { schema: { tags, params: ws, querystring: deliveriesQuery, response: { 200: deliveriesPage } }, config: { action: 'notifications.read' }, preValidation: member },
    async (req) => channels.listDeliveries(req.params.workspaceId, channelActor(req), req.query),
  )

  app.get(
    `${base}/alerts/unread`,
    { schema: { tags: ['alerts'], params: ws, response: { 200: z.object({ count: z.number() }) } }, config: { action: 'alerts.read' }, preValidation: member },
    async (req) => ({ count: await alerts.unreadCount(req.params.workspaceId) }),
  )

  const streams = createEventStreams(app, { heartbeatMs, maxStreamMs })
  // A read alert changes the count: tell this instance's streams now rather than at the next poll.
  app.addHook('onResponse', async (req, reply) => {
    if (req.method === 'POST' && req.routeOptions.url === MARK_READ_ROUTE && reply.statusCode < 300) {
      const workspaceId = (req.params as { workspaceId?: string }).workspaceId
      if (workspaceId) stream.refresh(workspaceId)
    }
  })

  app.get(
    `${base}/alerts/stream`,
    {
      schema: {
        tags: ['alerts'],
        params: ws,
        description: 'Server-sent events: `event: unread` with `{"count": n}` at once and on every change; a comment line as heartbeat. Ends after a few minutes; EventSource reconnects.',
      },
      config: { action: 'alerts.read' },
      preValidation: member,
    },
    async (req, reply) => {
      const { workspaceId } = req.params
      const events = streams.open(reply, callerKey(req))
      try {
        events.onClose(await stream.subscribe(workspaceId, (count) => events.send('unread', { count })))
      } catch (err) {
        req.log.warn({ error: err instanceof Error ? err.message : String(err) }, 'alert stream could not start')
        events.end()
      }
    },
  )
}

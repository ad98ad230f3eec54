import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A local stand-in for the Telegram Bot API (a third party that cannot run here), on loopback: the methods
 * grammY calls for long polling (getMe, deleteWebhook, getUpdates with a real long poll) plus sendMessage
 * and setMyCommands. It records what the bot sent and lets a test play a user writing to the bot.
 * Point the bot at `apiRoot` (TELEGRAM_API_ROOT).
 */
export type SentMessage = { chatId: number; text: string }

type Update = { update_id: number; message: Record<string, unknown> }
type Waiter = { offset: number; limit: number; done: (updates: Update[]) => void }

export const BOT_USERNAME = 'bulwark_test_bot'

export const startFakeTelegram = async ({ token }: { token: string }) => {
  const updates: Update[] = []
  const sent: SentMessage[] = []
  const calls: string[] = []
  const sentWaiters: { match: (m: SentMessage) => boolean; resolve: (m: SentMessage) => void }[] = []
  let waiters: Waiter[] = []
  let nextUpdateId = 1
  let nextMessageId = 1
  let sendFailure: { status: number; description: string } | undefined

  const pending = (offset: number, limit: number) => updates.filter((u) => u.update_id >= offset).slice(0, limit)

  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  const ok = (res: ServerResponse, result: unknown) => answer(res, 200, { ok: true, result })
  const fail = (res: ServerResponse, status: number, description: string) => answer(res, status, { ok: false, error_code: status, description })

  const handle = (req: IncomingMessage, res: ServerResponse, params: Record<string, unknown>) => {
    const match = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? '')
    if (!match) return fail(res, 404, 'Not Found')
    if (match[1] !== token) return fail(res, 401, 'Unauthorized')
    const method = match[2] ?? ''
    calls.push(method)
    switch (method) {
      case 'getMe':
        return ok(res, { id: 7_000_001, is_bot: true, first_name: 'Bulwark Test', username: BOT_USERNAME, can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false })
      case 'deleteWebhook':
      case 'setMyCommands':
        return ok(res, true)
      case 'getUpdates': {
        const offset = Number(params.offset ?? 0)
        const limit = Number(params.limit ?? 100)
        // Confirmed updates are forgotten, as Telegram does.
        for (let i = updates.length - 1; i >= 0; i--) if ((updates[i]?.update_id ?? 0) < offset) updates.splice(i, 1)
        const ready = pending(offset, limit)
        const timeoutSeconds = Number(params.timeout ?? 0)
        if (ready.length > 0 || timeoutSeconds <= 0) return ok(res, ready)
        const waiter: Waiter = {
          offset,
          limit,
          done: (batch) => {
            clearTimeout(timer)
            waiters = waiters.filter((w) => w !== waiter)
            if (!res.writableEnded && !res.destroyed) ok(res, batch)
          },
        }
        const timer = setTimeout(() => waiter.done([]), timeoutSeconds * 1000)
        waiters.push(waiter)
        // grammY aborts the poll on stop: forget the waiter.
        res.on('close', () => {
          clearTimeout(timer)
          waiters = waiters.filter((w) => w !== waiter)
        })
        return
      }
      case 'sendMessage': {
        if (sendFailure) return fail(res, sendFailure.status, sendFailure.description)
        const chatId = Number(params.chat_id)
        const text = String(params.text ?? '')
        const message = { chatId, text }
        sent.push(message)
        for (const w of [...sentWaiters]) {
          if (w.match(message)) {
            sentWaiters.splice(sentWaiters.indexOf(w), 1)
            w.resolve(message)
          }
        }
        return ok(res, { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat: { id: chatId, type: chatId > 0 ? 'private' : 'group' }, text })
      }
      default:
        return fail(res, 404, `Not Found: method ${method} is not faked`)
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      let params: Record<string, unknown> = {}
      const raw = Buffer.concat(chunks).toString('utf8')
      if (raw) {
        try {
          params = JSON.parse(raw) as Record<string, unknown>
        } catch {
          return fail(res, 400, 'Bad Request: body is not JSON')
        }
      }
      handle(req, res, params)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  /** A user (or a group member) writes `text` to the bot in chat `chatId`. */
  const userSends = (chatId: number, text: string, opts: { chatType?: 'private' | 'group' } = {}) => {
    const chatType = opts.chatType ?? 'private'
    const command = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text)
    const update: Update = {
      update_id: nextUpdateId++,
      message: {
        message_id: nextMessageId++,
        date: Math.floor(Date.now() / 1000),
        chat: chatType === 'private' ? { id: chatId, type: 'private', first_name: 'Tester' } : { id: chatId, type: 'group', title: 'Some group' },
        from: { id: Math.abs(chatId), is_bot: false, first_name: 'Tester' },
        text,
        ...(command ? { entities: [{ type: 'bot_command', offset: 0, length: command[0].length }] } : {}),
      },
    }
    updates.push(update)
    for (const w of [...waiters]) {
      const ready = pending(w.offset, w.limit)
      if (ready.length > 0) w.done(ready)
    }
  }

  /** The next message the bot sends that matches (already sent ones count); waits without a deadline of its own. */
  const nextSent = (match: (m: SentMessage) => boolean, opts: { after?: number } = {}): Promise<SentMessage> => {
    const seen = sent.slice(opts.after ?? 0).find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve) => sentWaiters.push({ match, resolve }))
  }

  /** Make sendMessage fail (e.g. 403 "bot was blocked by the user"), or succeed again with undefined. */
  const failSends = (failure: { status: number; description: string } | undefined) => {
    sendFailure = failure
  }

  const close = async () => {
    for (const w of [...waiters]) w.done([])
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  return { apiRoot: `http://127.0.0.1:${port}`, sent, calls, userSends, nextSent, failSends, close }
}

export type FakeTelegram = Awaited<ReturnType<typeof startFakeTelegram>>

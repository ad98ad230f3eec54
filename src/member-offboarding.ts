import { AppError } from './lib/errors.js'
import type { Logger } from './lib/logger.js'
import type { Alerts } from './monitoring/index.js'
import type { TradingService } from './trading/index.js'
import type { Role } from './db/index.js'

type By = { userId: string; ip?: string | undefined; requestId?: string | undefined }

/**
 * What else ends when a member leaves or is removed (the teams domain ends the membership, their API
 * tokens, live streams and pending requests). A Signal Bot's webhook secret is its only credential and
 * anyone who could trade may have read it (`trading.secrets`), so every webhook secret of the workspace is
 * replaced — the desk updates its alert URLs, which the alert tells it to — rather than letting a former
 * member keep placing signals. Viewers never see secrets: nothing to rotate for them.
 */
export const createMemberOffboarding =
  ({ trading, alerts, logger }: { trading: Pick<TradingService, 'bots'>; alerts: Pick<Alerts, 'raise'>; logger: Pick<Logger, 'warn'> }) =>
  async (workspaceId: string, userId: string, role: Role, by: By): Promise<void> => {
    if (role === 'viewer') return
    const actor = { userId: by.userId, accounts: 'all' as const, ip: by.ip, requestId: by.requestId }
    let rotated = 0
    for (const bot of await trading.bots.list(workspaceId, 'signal_bot')) {
      try {
        await trading.bots.rotateWebhookSecret(actor, workspaceId, bot.id)
        rotated++
      } catch (err) {
        // A bot that acts on indicator signals has no webhook (CONFLICT); anything else is logged, the rest still rotate.
        if (!(err instanceof AppError && err.code === 'CONFLICT')) logger.warn({ err, botId: bot.id }, 'could not rotate a webhook secret after a member left')
      }
    }
    if (rotated > 0) await alerts.raise({ workspaceId, rule: 'webhook_secrets_rotated', details: { bots: rotated, memberUserId: userId } })
  }

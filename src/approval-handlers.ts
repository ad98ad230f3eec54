import type { ExchangeAccounts } from './keys/index.js'
import { keyApprovalHandler, keyLimitsPayload } from './keys/index.js'
import { AppError } from './lib/errors.js'
import type { Incidents } from './incident/index.js'
import type { TradingService } from './trading/index.js'
import type { Approvals, Members, WorkspacePolicies } from './teams/index.js'

/**
 * What each kind of four-eyes request (R42) does once a second member approves it, and how a rejected,
 * cancelled or expired one is cleaned up. Here because only a process root sees every domain: the teams
 * domain owns the requests, the domains below own the changes. A kind without a handler (no signer: no
 * keys) stays pending and its approval answers UNAVAILABLE.
 */
export const registerApprovalHandlers = (
  approvals: Pick<Approvals, 'register'>,
  d: {
    exchangeAccounts: ExchangeAccounts | undefined
    trading: Pick<TradingService, 'controls' | 'promotion'>
    incidents: Pick<Incidents, 'unlockApprovalHandler'>
    members: Pick<Members, 'applyRoleUpgrade' | 'applyOwnerChange'>
    policies: Pick<WorkspacePolicies, 'applyPolicyPatch'>
  },
) => {
  if (d.exchangeAccounts) {
    // A key waiting in the signer as `pending_approval`: activated on approval, destroyed otherwise.
    const keys = keyApprovalHandler(d.exchangeAccounts)
    approvals.register('key.connect', keys)
    approvals.register('key.replace', keys)
  }
  // Raised limits: an exchange account's risk limits (trading), or a key's signer limits (keys; payload target 'key').
  approvals.register('limits.raise', {
    apply: (p, ctx) => {
      if (keyLimitsPayload.safeParse(p).success) {
        if (!d.exchangeAccounts) throw new AppError('UNAVAILABLE', 'no signer is configured: key limits cannot change')
        return d.exchangeAccounts.applyKeyLimits(p, ctx)
      }
      return d.trading.controls.applyRiskLimits(p, ctx)
    },
  })
  approvals.register('bot.promote', { apply: (p, ctx) => d.trading.promotion.applyPromotion(p, ctx) })
  approvals.register('incident.unlock', d.incidents.unlockApprovalHandler)
  approvals.register('role.upgrade', { apply: (p, ctx) => d.members.applyRoleUpgrade(p, ctx) })
  // Taking owner rights from someone else (demoting or removing an owner): another owner approved it.
  approvals.register('owner.change', { apply: (p, ctx) => d.members.applyOwnerChange(p, ctx) })
  approvals.register('policy.relax', { apply: (p, ctx) => d.policies.applyPolicyPatch(p, ctx) })
}

import { describe, expect, it } from 'vitest'
import { passesLock } from './lock-gate.js'

describe('the lock gate', () => {
  it('lets reads, the incident routes and approval decisions through a lockdown, and nothing else', () => {
    for (const action of ['workspace.read', 'trading.read', 'keys.read', 'audit.read', 'incident.read', 'incident.lockdown', 'incident.unlock', 'approvals.decide', 'approvals.read', 'members.remove', 'workspace.leave', 'audit.verify']) expect(passesLock(action), action).toBe(true)
    for (const action of ['trading.trade', 'trading.resume', 'trading.halt', 'keys.manage', 'alerts.acknowledge', 'settings.manage', 'tokens.trade', 'trading.secrets', 'audit.export', 'demo.trade', 'members.manage', 'policies.manage', 'workspace.manage']) {
      expect(passesLock(action), action).toBe(false)
    }
  })
})

import { describe, expect, it } from 'vitest'
import {
  emergencyPreviewView,
  emergencyResultView,
  incidentDetailView,
  lockStatusView,
  lockdownResultView,
  unlockConfirmedView,
  unlockRequestedView,
} from '../../../src/incident/incident-types'
import {
  parseEmergencyPreview,
  parseEmergencyResult,
  parseIncidentDetail,
  parseIncidents,
  parseLockStatus,
  parseLockdownResult,
  parseReenableResult,
  parseUnlockConfirmed,
  parseUnlockRequested,
} from './incident-parsers'

// Samples checked against the server's own response schemas first, so a change there fails here.
const incident = incidentDetailView.parse({
  id: '6f1c1b36-4c55-4a4d-9a55-3c1d2d3e4f50',
  workspaceId: '0b9c3c86-1f5b-4b0e-8f4e-9a3c1d2e3f40',
  state: 'unlocking',
  trigger: 'web',
  ordersMode: 'cancel',
  reason: 'lockdown from the web app',
  openedBy: { type: 'user', id: 'b1a2c3d4-0000-4000-8000-000000000001' },
  openedAt: '2026-12-01T09:00:00.000Z',
  unlockRequestedAt: '2026-12-01T10:00:00.000Z',
  unlockConfirmedAt: '2026-12-01T10:05:00.000Z',
  unlockNotBefore: '2026-12-01T11:05:00.000Z',
  resolvedAt: null,
  summary: { keys: { outcome: 'success', disabled: 2 } },
  timeline: [
    { id: 'e1', at: '2026-12-01T09:00:00.000Z', kind: 'lockdown_triggered', outcome: 'success', details: { trigger: 'web', reason: 'x' } },
    { id: 'e2', at: '2026-12-01T09:00:00.100Z', kind: 'keys', outcome: 'success', details: { disabled: 2, keys: 2 } },
  ],
})

describe('incident parsers', () => {
  it('read an incident with its timeline as the server sends it', () => {
    const parsed = parseIncidentDetail(incident)
    expect(parsed.state).toBe('unlocking')
    expect(parsed.unlockNotBefore).toBe('2026-12-01T11:05:00.000Z')
    expect(parsed.timeline.map((event) => event.kind)).toEqual(['lockdown_triggered', 'keys'])
    expect(parsed.timeline[1]?.details).toEqual({ disabled: 2, keys: 2 })
    const { timeline: _timeline, ...listed } = incident
    expect(parseIncidents([listed])[0]?.openedBy).toEqual({ type: 'user', id: 'b1a2c3d4-0000-4000-8000-000000000001' })
  })

  it('refuse an incident in a state the page does not know, rather than guess', () => {
    expect(() => parseIncidentDetail({ ...incident, state: 'half-open' })).toThrow(/state/)
    expect(() => parseIncidents({})).toThrow(/list/)
  })

  it('read the lock status, the lockdown answer and the unlock steps', () => {
    const { timeline: _timeline, ...view } = incident
    expect(parseLockStatus(lockStatusView.parse({ locked: true, lockedAt: view.openedAt, incident: view })).incident?.id).toBe(view.id)
    expect(parseLockStatus(lockStatusView.parse({ locked: false, lockedAt: null, incident: null }))).toEqual({ locked: false, lockedAt: null, incident: null })
    const result = parseLockdownResult(lockdownResultView.parse({ incident: view, joined: false, keysDisabled: 3, pending: ['orders', 'sessions', 'notify'] }))
    expect(result).toMatchObject({ joined: false, keysDisabled: 3, pending: ['orders', 'sessions', 'notify'] })
    expect(parseUnlockRequested(unlockRequestedView.parse({ incidentId: view.id, state: 'unlocking', emailedTo: 'a@example.com', coolingOffSeconds: 0 }))).toEqual({
      incidentId: view.id,
      emailedTo: 'a@example.com',
      coolingOffSeconds: 0,
      approvalRequired: false,
    })
    const confirmed = { workspaceId: view.workspaceId, incidentId: view.id, state: 'resolved', unlockNotBefore: view.openedAt }
    expect(parseUnlockConfirmed(unlockConfirmedView.parse(confirmed))).toMatchObject({ state: 'resolved', approval: null })
  })

  it('read the four-eyes variants of the unlock steps (R42)', () => {
    const { timeline: _timeline, ...view } = incident
    const requested = { incidentId: view.id, state: 'unlocking', emailedTo: 'a@example.com', coolingOffSeconds: 300, approvalRequired: true }
    expect(parseUnlockRequested(requested).approvalRequired).toBe(true)
    expect(() => parseUnlockRequested({ ...requested, approvalRequired: 'yes' })).toThrow(/approvalRequired/)
    const approval = {
      id: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
      workspaceId: view.workspaceId,
      kind: 'incident.unlock',
      summary: 'Unlock the workspace after the lockdown',
      state: 'pending',
      requestedBy: null,
      requestedAt: view.openedAt,
      expiresAt: view.openedAt,
      decidedBy: null,
      decidedAt: null,
      note: null,
      result: null,
      canDecide: false,
    }
    const confirmed = { workspaceId: view.workspaceId, incidentId: view.id, state: 'unlocking', unlockNotBefore: view.openedAt, approval }
    expect(parseUnlockConfirmed(confirmed).approval).toMatchObject({ kind: 'incident.unlock', state: 'pending' })
    expect(() => parseUnlockConfirmed({ ...confirmed, approval: { id: 'x' } })).toThrow(/approval/)
  })

  it('read the emergency preview and result, and the pending re-enable', () => {
    const preview = emergencyPreviewView.parse({ workspaces: [{ id: 'w1', name: 'Main', role: 'owner', locked: false }] })
    expect(parseEmergencyPreview(preview)).toEqual([{ id: 'w1', name: 'Main', role: 'owner', locked: false }])
    const result = emergencyResultView.parse({ workspaces: [{ id: 'w1', name: 'Main', incidentId: null, error: 'the lockdown failed' }] })
    expect(parseEmergencyResult(result)[0]?.error).toBe('the lockdown failed')
    expect(parseReenableResult({ status: 'pending_confirmation', key: {}, operation: { operationId: 'op-1' } })).toEqual({ status: 'pending_confirmation', operationId: 'op-1' })
    expect(parseReenableResult({ status: 'pending_confirmation', key: {}, operation: {} }).operationId).toBeUndefined()
  })
})

import { describe, expect, it } from 'vitest'
import { formatCountdown, keyAgeText, keyBadges, monitoringErrorHint, ordersConsequence, rotationStatus, timelineText, unlockStage, verificationBanner } from './monitoring-format'
import { retryDelayMs } from './use-unread-stream'

describe('key health in words', () => {
  it('says how old a key is and when its rotation is due', () => {
    expect(keyAgeText(0.4)).toBe('New today')
    expect(keyAgeText(12.9)).toBe('12 days old')
    expect(rotationStatus({ rotationDueInDays: 30 })).toEqual({ tone: 'ok', text: 'Rotation in 30 days' })
    expect(rotationStatus({ rotationDueInDays: 6.2 })).toEqual({ tone: 'warn', text: 'Rotation due in 7 days' })
    expect(rotationStatus({ rotationDueInDays: 0 })).toEqual({ tone: 'warn', text: 'Rotation due today' })
    expect(rotationStatus({ rotationDueInDays: -3 })).toEqual({ tone: 'bad', text: 'Rotation overdue by 3 days' })
  })

  it('says a missing protection plainly', () => {
    expect(keyBadges({ badges: { withdrawDisabled: false, ipRestricted: true, tradingEnabled: true } }).map((b) => b.text)).toEqual(['Can withdraw', 'IP restricted', 'Trading enabled'])
    expect(keyBadges({ badges: { withdrawDisabled: true, ipRestricted: false, tradingEnabled: true } })[1]).toEqual({ tone: 'warn', text: 'No IP restriction' })
  })
})

describe('the audit verification banner', () => {
  const base = { entries: 42, firstBadSeq: undefined, reason: undefined, archivedEntries: undefined, checkpointsVerified: 3, checkpointsUnavailable: undefined }
  it('says verified up to the last entry, and when the signer last checkpointed it', () => {
    const banner = verificationBanner({ ...base, ok: true, lastCheckpoint: { seq: 40, time: '2026-12-01T09:00:00.000Z' } }, 'en-GB')
    expect(banner.tone).toBe('ok')
    expect(banner.title).toBe('Verified ✓ up to entry 42.')
    expect(banner.detail).toMatch(/^Last checkpoint signed by the signer at entry 40, /)
  })

  it('names the first bad entry in red', () => {
    const banner = verificationBanner({ ...base, ok: false, firstBadSeq: 17, reason: 'hash mismatch', lastCheckpoint: null })
    expect(banner).toMatchObject({ tone: 'bad', title: 'The audit log fails verification at entry 17.' })
    expect(banner.detail).toMatch(/Reason: hash mismatch\./)
  })

  it('does not claim full verification when the checkpoints could not be read', () => {
    const banner = verificationBanner({ ...base, ok: true, lastCheckpoint: null, checkpointsUnavailable: 'the signer is not reachable' })
    expect(banner.tone).toBe('warn')
    expect(banner.detail).toMatch(/cutting entries off the end would go unnoticed/)
  })
})

describe('incidents in words', () => {
  it('says what each lockdown step did, with its numbers', () => {
    expect(timelineText({ kind: 'keys', outcome: 'success', details: { disabled: 2, keys: 2 } })).toEqual({ title: 'Exchange keys disabled in the signer', detail: '2 keys now refuse every request' })
    expect(timelineText({ kind: 'keys', outcome: 'success', details: { disabled: 1, keys: 1 } }).detail).toBe('1 key now refuses every request')
    expect(timelineText({ kind: 'keys', outcome: 'success', details: { disabled: 0, keys: 0 } }).detail).toBe('no active key to disable')
    expect(timelineText({ kind: 'orders', outcome: 'success', details: { mode: 'cancel', cancelled: 3, closedPositions: 0, failed: 0 } }).detail).toBe('3 orders cancelled')
    expect(timelineText({ kind: 'orders', outcome: 'skipped', details: { mode: 'leave' } }).detail).toBe('Skipped')
    expect(timelineText({ kind: 'sessions', outcome: 'success', details: { members: 1, sessionsEnded: 2, apiAccessRevoked: 1 } }).detail).toBe('2 sessions ended, 1 API token revoked')
    expect(timelineText({ kind: 'sessions', outcome: 'success', details: { members: 1, sessionsEnded: 0, apiAccessRevoked: 0 } }).detail).toBe('no session was still open')
    expect(timelineText({ kind: 'bots', outcome: 'failure', details: { error: 'trading is down' } }).detail).toBe('Failed: trading is down')
    expect(timelineText({ kind: 'something_new', outcome: 'success', details: {} })).toEqual({ title: 'Something new', detail: undefined })
  })

  it('follows the unlock from the incident alone', () => {
    expect(unlockStage({ state: 'open', unlockRequestedAt: null, unlockConfirmedAt: null })).toBe('locked')
    expect(unlockStage({ state: 'unlocking', unlockRequestedAt: 'x', unlockConfirmedAt: null })).toBe('awaiting_email')
    expect(unlockStage({ state: 'unlocking', unlockRequestedAt: 'x', unlockConfirmedAt: 'y' })).toBe('cooling_off')
    expect(unlockStage({ state: 'resolved', unlockRequestedAt: 'x', unlockConfirmedAt: 'y' })).toBe('unlocked')
    // Four-eyes (R42): the waiting period is over (cleared) but the unlock waits for a second owner or admin.
    expect(unlockStage({ state: 'unlocking', unlockRequestedAt: 'x', unlockConfirmedAt: 'y', unlockNotBefore: 'z' })).toBe('cooling_off')
    expect(unlockStage({ state: 'unlocking', unlockRequestedAt: 'x', unlockConfirmedAt: 'y', unlockNotBefore: null })).toBe('awaiting_approval')
  })

  it('counts down the waiting period', () => {
    expect(formatCountdown(59_001)).toBe('1 min 00 s')
    expect(formatCountdown(245_000)).toBe('4 min 05 s')
    expect(formatCountdown(3_720_000)).toBe('1 h 02 min')
    expect(formatCountdown(-5)).toBe('0 s')
  })

  it('says what happens to open orders for each setting', () => {
    expect(ordersConsequence('cancel')).toMatch(/cancelled/)
    expect(ordersConsequence('cancel_and_close')).toMatch(/positions are closed/)
    expect(ordersConsequence('leave')).toMatch(/stay on the exchange/)
  })
})

describe('errors near the monitoring actions', () => {
  it('adds the next step for a locked workspace, a wrong unlock proof and a used link', () => {
    expect(monitoringErrorHint({ code: 'WORKSPACE_LOCKED' }, 'settings')).toMatch(/incident page/)
    expect(monitoringErrorHint({ code: 'WORKSPACE_LOCKED' }, 'reenable')).toMatch(/after the unlock/)
    expect(monitoringErrorHint({ code: 'FORBIDDEN' }, 'unlock')).toMatch(/authenticator/)
    expect(monitoringErrorHint({ code: 'BAD_INPUT' }, 'link')).toMatch(/works once/)
    expect(monitoringErrorHint({ code: 'BAD_INPUT' }, 'settings')).toBeUndefined()
    expect(monitoringErrorHint({ code: 'STEP_UP_CANCELLED' }, 'lockdown')).toMatch(/Nothing was locked/)
  })
})

describe('the live stream', () => {
  it('waits longer after each failed reconnect, up to a minute', () => {
    expect([1, 2, 3, 4, 5, 9].map(retryDelayMs)).toEqual([5_000, 10_000, 20_000, 40_000, 60_000, 60_000])
  })
})

import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { alertCatalogue, effectiveSeverity, overrideProblem } from './alert-catalogue.js'

const srcRoot = join(import.meta.dirname, '..')

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name)
    if (e.isDirectory()) return sourceFiles(path)
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') ? [path] : []
  })

/**
 * Every rule the code can raise, read from the source: `rule: '…'` literals (raise calls), the machines'
 * `alert(st, '…'` commands the bot runtime raises, `XXX_RULE = '…'` constants, and the signer events the key relay raises
 * (`alertSeverityOf` in keys/key-admin.ts). A new raise site with an uncatalogued rule fails here before
 * it fails at run time (alerts.raise refuses it).
 */
const rulesInSource = (): Map<string, string> => {
  const found = new Map<string, string>()
  for (const file of sourceFiles(srcRoot)) {
    const text = readFileSync(file, 'utf8')
    const rel = file.slice(srcRoot.length + 1)
    for (const m of text.matchAll(/\brule: '([a-z][a-z0-9_.]*)'/g)) if (m[1]) found.set(m[1], rel)
    for (const m of text.matchAll(/\balert\(st, '([a-z][a-z0-9_.]*)'/g)) if (m[1]) found.set(m[1], rel)
    for (const m of text.matchAll(/\b[A-Z_]+_RULE = '([a-z][a-z0-9_.]*)'/g)) if (m[1]) found.set(m[1], rel)
    const table = /alertSeverityOf[^=]*=\s*\{([\s\S]*?)\n\}/.exec(text)?.[1]
    for (const m of table?.matchAll(/^\s+([a-z][a-z0-9_]*):\s*'(?:info|warning|critical)'/gm) ?? []) if (m[1]) found.set(m[1], rel)
  }
  return found
}

describe('the alert catalogue', () => {
  it('covers every rule the code raises', () => {
    const found = rulesInSource()
    expect(found.size).toBeGreaterThan(20) // the scan itself works
    const missing = [...found].filter(([rule]) => !alertCatalogue.has(rule)).map(([rule, file]) => `${rule} (${file})`)
    expect(missing).toEqual([])
  })

  it('has the rules issue 8 asks for', () => {
    for (const rule of [
      'new_device', 'login_failure_burst', 'signin_after_failures', 'second_factor_failed', 'password_changed', 'email_changed', 'second_factor_changed',
      'key_connected', 'key_removed', 'key_rotated', 'key_permission_changed', 'foreign_order_detected', 'exchange_auth_failed', 'signer_refused',
      'risk_limit_hit', 'signal_symbol_not_allowed', 'key_rotation_due', 'key_unused', 'audit_sink_degraded', 'lockdown_started',
      'notification_channel_failing', 'audit_checkpoint_failed',
    ]) {
      expect(alertCatalogue.get(rule), rule).toBeDefined()
    }
  })

  it('describes every rule, and no critical rule can be turned off', () => {
    for (const rule of alertCatalogue.values()) {
      expect(rule.id).toMatch(/^[a-z][a-z0-9_]*$/)
      expect(rule.title.length).toBeGreaterThan(3)
      expect(rule.trigger.length).toBeGreaterThan(10)
      expect(rule.dedupWindowMs).toBeGreaterThan(0)
      if (rule.severity === 'critical') expect(rule.canDisable, rule.id).toBe(false)
    }
  })

  it('lets a workspace turn off or re-grade ordinary rules, and only raise security ones', () => {
    expect(overrideProblem('key_connected', { enabled: false })).toBeNull()
    expect(overrideProblem('bot_failed', { severity: 'info' })).toBeNull()
    expect(overrideProblem('signer_refused', { enabled: false })).toMatch(/cannot be turned off/)
    expect(overrideProblem('new_device', { severity: 'info' })).toMatch(/not lowered/)
    expect(overrideProblem('new_device', { severity: 'critical', enabled: true })).toBeNull()
    expect(overrideProblem('nope', {})).toMatch(/not an alert rule/)
    const newDevice = alertCatalogue.get('new_device')
    if (!newDevice) throw new Error('catalogued above')
    expect(effectiveSeverity(newDevice, undefined, 'info')).toBe('warning')
    expect(effectiveSeverity(newDevice, undefined, 'critical')).toBe('critical')
  })
})

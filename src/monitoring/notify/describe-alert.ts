import type { Alert } from '../alerts.js'
import { alertRuleOf } from '../alert-catalogue.js'

/**
 * A person's words for an alert, shared by email, Telegram and the test message. Details are free-form
 * but never secret (alerts refuse secret-named fields when raised), so they are shown as `key: value`
 * pairs, on one line and bounded: a channel message is a pointer to the inbox, not the record.
 */
/** Titles of the few rules that are not alerts of the catalogue (the test message) or may not be there yet. */
const ownTitles: Record<string, string> = {
  notification_test: 'Test notification',
  notification_channel_changed: 'Notification settings changed',
}

const SUMMARY_MAX_CHARS = 600
const VALUE_MAX_CHARS = 120

/** `bot_failed` → `Bot failed`, for rules without a title of their own. */
const humanize = (rule: string): string => {
  const words = rule.replace(/[._]+/g, ' ').trim()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

const show = (value: unknown): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value)
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length > VALUE_MAX_CHARS ? `${flat.slice(0, VALUE_MAX_CHARS - 1)}…` : flat
}

export const alertTitle = (rule: string): string => alertRuleOf(rule)?.title ?? ownTitles[rule] ?? humanize(rule)

export const alertSummary = (alert: Pick<Alert, 'details' | 'occurrences'>): string => {
  const pairs = Object.entries(alert.details).map(([k, v]) => `${k}: ${show(v)}`)
  if (alert.occurrences > 1) pairs.push(`occurrences: ${alert.occurrences}`)
  const text = pairs.length > 0 ? pairs.join('; ') : 'No further detail.'
  return text.length > SUMMARY_MAX_CHARS ? `${text.slice(0, SUMMARY_MAX_CHARS - 1)}…` : text
}

import type { AlertSeverity } from '../db/index.js'

/**
 * The built-in alert rules (issue 8, "Alert rules"). Each rule lives in the domain that owns its data
 * and raises through `alerts.raise`; this table is the one place that says what every rule means, how
 * loud it is by default, how long repeats are folded into one alert, and whether a workspace may turn
 * it off. `raise` refuses a rule that is not here (see alerts.ts), so the table cannot fall behind.
 *
 * Rules a workspace may not turn off (`canDisable: false`) are the ones that say "someone may be in
 * your account or using your keys" (R16–R18, R33, R34, R39): a thief with a session must not be able to
 * silence them. Their severity may be raised by a workspace, never lowered.
 */
export type AlertDomain = 'auth' | 'keys' | 'signer' | 'trading' | 'monitoring' | 'incident' | 'demo' | 'teams'

export type AlertRule = {
  id: string
  domain: AlertDomain
  /** `workspace`: raised into a workspace's inbox; `instance`: the operator's (workspaceId null). */
  scope: 'workspace' | 'instance'
  severity: AlertSeverity
  title: string
  /** What makes it fire, in words a user understands. */
  trigger: string
  /** Repeats with the same key within this window count on the first alert instead of adding one. */
  dedupWindowMs: number
  canDisable: boolean
}

const HOUR = 3_600_000
const DAY = 24 * HOUR

type Entry = Omit<AlertRule, 'id' | 'scope' | 'dedupWindowMs'> & { scope?: AlertRule['scope']; dedupWindowMs?: number }

const entries: Record<string, Entry> = {
  // auth/ — sign-in and account security (R24, R33, R34)
  new_device: { domain: 'auth', severity: 'warning', title: 'Sign-in from a new device', trigger: 'a member signed in from a browser or device not seen on the account before (an email with a "this wasn\'t me" link goes out too)', canDisable: false },
  signin_after_failures: { domain: 'auth', severity: 'warning', title: 'Sign-in after failed attempts', trigger: 'a sign-in succeeded right after 3 or more failed attempts on the account', canDisable: false },
  login_failure_burst: { domain: 'auth', severity: 'warning', title: 'Failed sign-in burst', trigger: '5 failed sign-in attempts in a row on a member\'s account (someone may be guessing the password)', dedupWindowMs: HOUR, canDisable: false },
  second_factor_failed: { domain: 'auth', severity: 'warning', title: 'Wrong second factor after the right password', trigger: 'the right password followed by a wrong authenticator code or passkey: someone may hold the password', canDisable: false },
  password_changed: { domain: 'auth', severity: 'warning', title: 'Password changed', trigger: 'a member\'s password was changed or reset', canDisable: false },
  email_changed: { domain: 'auth', severity: 'warning', title: 'Email address changed', trigger: 'a member\'s sign-in email address was changed', canDisable: false },
  second_factor_changed: { domain: 'auth', severity: 'warning', title: 'Two-factor sign-in changed', trigger: 'an authenticator app was turned on or off, or a passkey was added or removed', canDisable: false },
  account_locked_by_owner: { domain: 'auth', severity: 'critical', title: 'Account locked ("this wasn\'t me")', trigger: 'a member disowned a sign-in: every session ended and the account is locked until a password reset', canDisable: false },
  authenticator_clone_suspected: { domain: 'auth', severity: 'critical', title: 'Passkey may be cloned', trigger: 'a passkey\'s signature counter went backwards', canDisable: false },
  totp_seed_integrity_failed: { domain: 'auth', scope: 'instance', severity: 'critical', title: 'Authenticator seed does not authenticate', trigger: 'a stored TOTP seed failed its integrity check (tampering or a wrong platform key)', dedupWindowMs: HOUR, canDisable: false },

  // keys/ — exchange keys as the api sees them, and key hygiene
  key_connected: { domain: 'keys', severity: 'info', title: 'Exchange key connected', trigger: 'an exchange API key was connected to an account of the workspace', canDisable: true },
  key_removed: { domain: 'keys', severity: 'warning', title: 'Exchange key removed', trigger: 'an exchange account and its key were removed (the key\'s shares are destroyed)', canDisable: true },
  key_rotated: { domain: 'keys', severity: 'info', title: 'Exchange key rotated', trigger: 'an exchange account switched to a new key and the old one was disabled and destroyed', canDisable: true },
  key_rotation_due: { domain: 'keys', severity: 'warning', title: 'Key due for rotation', trigger: 'a key\'s age reached the workspace\'s rotation period minus the reminder days', dedupWindowMs: 7 * DAY, canDisable: true },
  key_unused: { domain: 'keys', severity: 'info', title: 'Key unused', trigger: 'a key made no call through the signer for the workspace\'s "unused" number of days', dedupWindowMs: 7 * DAY, canDisable: true },
  key_expiring: { domain: 'keys', severity: 'warning', title: 'Key expires soon', trigger: 'the exchange reports the key\'s trading permission ends within 7 days', dedupWindowMs: 7 * DAY, canDisable: true },
  exchange_auth_failed: { domain: 'keys', severity: 'warning', title: 'Exchange refused the key', trigger: 'the exchange answered a call with an authentication error (the key may have been revoked or expired there)', canDisable: false },

  // signer/ — what the custody process reports (relayed by keys/key-admin.ts)
  key_permission_changed: { domain: 'signer', severity: 'critical', title: 'Key permissions changed', trigger: 'at re-verification the key could withdraw or transfer, or lost its IP restriction: the signer disabled it at once', canDisable: false },
  signer_refused: { domain: 'signer', severity: 'critical', title: 'Signer refused a call', trigger: 'the signer refused a call (a denied endpoint such as a withdrawal, or a key limit)', canDisable: false },
  reconstruction_integrity: { domain: 'signer', severity: 'critical', title: 'Key shares do not authenticate', trigger: 'a key assembled from its shares failed its integrity check', canDisable: false },
  ciphertext_context_mismatch: { domain: 'signer', severity: 'critical', title: 'Stored key material out of place', trigger: 'a share or ciphertext was found under another key\'s context (copied between rows)', canDisable: false },
  vault_store_degraded: { domain: 'signer', severity: 'warning', title: 'Share store degraded', trigger: 'a share store could not be read; keys still open from the remaining stores', canDisable: false },
  venue_ip_banned: { domain: 'signer', severity: 'critical', title: 'Exchange banned our address', trigger: 'the exchange banned the platform\'s egress IP: no key trades there until the ban ends', canDisable: false },
  key_widening_pending: { domain: 'signer', severity: 'warning', title: 'Key widening pending', trigger: 'a change that widens a key waits for a passkey confirmation or the signer\'s delay: cancel it if it was not you', canDisable: false },
  key_widening_refused: { domain: 'signer', severity: 'warning', title: 'Key widening refused', trigger: 'the signer refused a widening of a key', canDisable: true },
  key_widening_applied: { domain: 'signer', severity: 'info', title: 'Key widening applied', trigger: 'a confirmed or waited-out widening took effect', canDisable: true },
  widening_confirmation_refused: { domain: 'signer', severity: 'warning', title: 'Widening confirmation refused', trigger: 'a passkey confirmation of a widening did not verify', canDisable: false },
  passkey_trust_pending: { domain: 'signer', severity: 'warning', title: 'Passkey trust pending', trigger: 'a new passkey waits to be trusted by the signer for confirmations', canDisable: false },
  passkey_trusted: { domain: 'signer', severity: 'info', title: 'Passkey trusted', trigger: 'the signer now accepts confirmations from a new passkey', canDisable: true },

  // trading/ — orders, bots, the risk guard (R18)
  foreign_order_detected: { domain: 'trading', severity: 'critical', title: 'Order placed outside Bulwark', trigger: 'reconciliation found an order on the exchange that Bulwark never placed: the key is used elsewhere and was disabled', canDisable: false },
  risk_limit_hit: { domain: 'trading', severity: 'warning', title: 'Risk limit hit', trigger: 'the risk guard refused an order: a symbol outside the bot\'s list, an unusual order rate, the daily loss limit, or a size limit (details.limit); the first three pause the bot', canDisable: false },
  bot_failed: { domain: 'trading', severity: 'warning', title: 'Bot failed', trigger: 'a bot could not be driven and was stopped', canDisable: true },
  bot_runtime_stalled: { domain: 'trading', scope: 'instance', severity: 'critical', title: 'Bot runtime stalled', trigger: 'another api instance stopped sending heartbeats; its bots are taken over', canDisable: false },
  order_cancel_failed: { domain: 'trading', severity: 'warning', title: 'Cancel failed', trigger: 'a bot\'s cancel was not accepted; reconciliation decides what became of the order', canDisable: true },
  order_unresolved: { domain: 'trading', severity: 'warning', title: 'Order outcome unknown', trigger: 'reconciliation could not tell whether an order reached the exchange; it is never re-sent blindly', canDisable: false },
  dead_man_switch_failed: { domain: 'trading', severity: 'warning', title: 'Dead-man switch failed', trigger: 'the exchange-side cancel-all timer could not be armed or refreshed', canDisable: true },
  webhook_secret_integrity_failed: { domain: 'trading', severity: 'critical', title: 'Webhook secret does not authenticate', trigger: 'a Signal Bot\'s stored webhook secret failed its integrity check', dedupWindowMs: HOUR, canDisable: false },
  signal_symbol_not_allowed: { domain: 'trading', severity: 'critical', title: 'Signal for a symbol outside the bot\'s list', trigger: 'a webhook signal named a symbol the bot may not trade', canDisable: false },
  webhook_rejections_burst: { domain: 'trading', severity: 'warning', title: 'Webhook rejections burst', trigger: 'many webhook signals for one bot were refused in a short time (a wrong secret, a replay, an address not allowed)', canDisable: false },
  signal_bot_entry_rejected: { domain: 'trading', severity: 'warning', title: 'Signal Bot entry rejected', trigger: 'the exchange or the guard refused a Signal Bot\'s entry order', canDisable: true },
  signal_bot_position_left: { domain: 'trading', severity: 'warning', title: 'Signal Bot left a position', trigger: 'a Signal Bot ended with a position it could not close', canDisable: true },
  signal_bot_signal_refused: { domain: 'trading', severity: 'warning', title: 'Signal refused by the bot', trigger: 'a Signal Bot could not act on a signal', canDisable: true },
  trade_close_rejected: { domain: 'trading', severity: 'critical', title: 'Smart Trade close rejected', trigger: 'closing a Smart Trade\'s position was refused: the position stays open', canDisable: false },
  trade_order_cancelled_outside: { domain: 'trading', severity: 'warning', title: 'Order cancelled outside Bulwark', trigger: 'an order of a Smart Trade was cancelled on the exchange, not by Bulwark', canDisable: true },
  trade_stop_rejected: { domain: 'trading', severity: 'warning', title: 'Stop-loss rejected', trigger: 'a Smart Trade\'s stop-loss order was refused', canDisable: true },
  trade_target_rejected: { domain: 'trading', severity: 'warning', title: 'Take-profit rejected', trigger: 'a Smart Trade\'s take-profit order was refused', canDisable: true },
  webhook_secrets_rotated: { domain: 'trading', severity: 'warning', title: 'Webhook secrets rotated', trigger: 'a member who could read Signal Bot webhook secrets left or was removed, so every webhook secret of the workspace was replaced: update the alert URLs in TradingView', canDisable: false },
  trade_unknown_orders_left: { domain: 'trading', severity: 'warning', title: 'Orders of unknown outcome left', trigger: 'a Smart Trade ended with orders whose outcome is still unknown', canDisable: true },

  // monitoring/ and incident/ — the watchers themselves (R19, R38, R39)
  audit_sink_degraded: { domain: 'monitoring', severity: 'critical', title: 'Audit sink degraded', trigger: 'one of the audit sinks failed to write; sensitive operations still need the other', dedupWindowMs: HOUR, canDisable: false },
  audit_checkpoint_failed: { domain: 'monitoring', severity: 'warning', title: 'Audit checkpoint failed', trigger: 'a signed checkpoint of an audit chain could not be written to the signer\'s store', dedupWindowMs: HOUR, canDisable: false },
  notification_channel_failing: { domain: 'monitoring', severity: 'warning', title: 'Notification channel failing', trigger: 'deliveries to a notification channel keep failing', dedupWindowMs: DAY, canDisable: false },
  audit_archive_refused: { domain: 'monitoring', scope: 'instance', severity: 'critical', title: 'Audit archive refused', trigger: 'moving old audit entries into an archive file was refused (the segment or its checkpoint did not verify)', dedupWindowMs: DAY, canDisable: false },
  notification_channel_changed: { domain: 'monitoring', severity: 'warning', title: 'Notification channel changed', trigger: 'a notification channel was added, linked, changed or removed (R34: where alerts go is itself news)', canDisable: false },
  notification_test: { domain: 'monitoring', severity: 'info', title: 'Test notification', trigger: 'a member sent a test message to a notification channel', canDisable: true },
  lockdown_started: { domain: 'incident', severity: 'critical', title: 'Lockdown', trigger: 'the workspace was locked down: keys disabled, bots stopped, sessions ended', canDisable: false },

  // teams/ — four-eyes approvals (R42)
  approval_requested: {
    domain: 'teams',
    severity: 'warning',
    title: 'Change waits for approval',
    trigger: 'a member asked for a high-risk change (a key, a limit raise, a promotion, a role upgrade, a relaxed policy, an unlock) that a second owner or admin must approve; the eligible approvers are emailed too',
    canDisable: true,
  },

  // demo/ — the paper exchanges
  demo_persistence_failed: { domain: 'demo', scope: 'instance', severity: 'warning', title: 'Demo exchange log not saved', trigger: 'the demo exchange could not save its event log and was rebuilt from the database', dedupWindowMs: HOUR, canDisable: true },
}

export const alertCatalogue: ReadonlyMap<string, AlertRule> = new Map(
  Object.entries(entries).map(([id, e]) => [id, { id, scope: 'workspace', dedupWindowMs: HOUR, ...e }] as const),
)

export const alertRuleOf = (id: string): AlertRule | undefined => alertCatalogue.get(id)

const severityRank: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 }

/** Why a workspace's override of a rule is not allowed, or null when it is. */
export const overrideProblem = (id: string, override: { enabled?: boolean | undefined; severity?: AlertSeverity | undefined }): string | null => {
  const rule = alertRuleOf(id)
  if (!rule) return `"${id}" is not an alert rule (GET /api/workspaces/:id/alert-rules lists them)`
  if (override.enabled === false && !rule.canDisable) return `"${id}" is a security alert and cannot be turned off`
  if (override.severity !== undefined && !rule.canDisable && severityRank[override.severity] < severityRank[rule.severity]) {
    return `"${id}" is a security alert: its severity can be raised above ${rule.severity}, not lowered`
  }
  return null
}

/** The severity an alert is raised with: the workspace's override when allowed, else the caller's, else the rule's. */
export const effectiveSeverity = (rule: AlertRule, requested: AlertSeverity | undefined, override: AlertSeverity | undefined): AlertSeverity => {
  const base = requested ?? rule.severity
  if (override === undefined) return base
  if (!rule.canDisable && severityRank[override] < severityRank[base]) return base
  return override
}

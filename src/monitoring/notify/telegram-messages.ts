import type { AlertSeverity } from '../../db/index.js'
import { oneLine } from '../email-templates.js'

/**
 * Telegram texts, sent without parse_mode (plain text: nothing to inject into markup). Every message opens
 * with the member's anti-phishing code, as every email does (R35), and every variable is folded onto one
 * line first, so a workspace name or alert detail cannot forge that line. No message carries a secret.
 */
export const TELEGRAM_CODE_PREFIX = 'Bulwark anti-phishing code:'
const NO_CODE = 'No anti-phishing code set yet (Bulwark → Settings → Security): real Bulwark messages will then show it here.'
const severityText: Record<AlertSeverity, string> = { info: 'INFO', warning: 'WARNING', critical: 'CRITICAL' }

const header = (antiPhishingCode: string | null | undefined): string => {
  const code = antiPhishingCode ? oneLine(antiPhishingCode, 64) : ''
  return code ? `${TELEGRAM_CODE_PREFIX} ${code}` : NO_CODE
}

const at = (moment: Date | string) => `${new Date(moment).toISOString().slice(0, 19).replace('T', ' ')} UTC`

export const alertMessage = (input: {
  antiPhishingCode: string | null | undefined
  workspaceName: string
  severity: AlertSeverity
  title: string
  summary: string
  rule: string
  occurredAt: Date | string
}): string =>
  [
    header(input.antiPhishingCode),
    '',
    `[${severityText[input.severity]}] ${oneLine(input.title, 200)}`,
    `Workspace: ${oneLine(input.workspaceName, 200)}`,
    `Time: ${at(input.occurredAt)}`,
    `Rule: ${oneLine(input.rule, 100)}`,
    '',
    oneLine(input.summary, 1_000),
    '',
    'Open the alerts inbox in Bulwark for details. /status shows the workspace at a glance.',
  ].join('\n')

export const linkedMessage = (input: { antiPhishingCode: string | null | undefined; workspaceName: string; minSeverity: AlertSeverity }): string =>
  [
    header(input.antiPhishingCode),
    '',
    `This chat now receives the alerts of Bulwark workspace "${oneLine(input.workspaceName, 200)}" (severity ${input.minSeverity} and above).`,
    'Check that the anti-phishing code above is yours. Send /status for the workspace at a glance.',
    'To stop, disable or remove the Telegram channel in Bulwark → Settings → Notifications.',
  ].join('\n')

export type WorkspaceStatus = { workspaceName: string; isLocked: boolean; unreadAlerts: number; extra: string | undefined }

export const statusMessage = (antiPhishingCode: string | null | undefined, workspaces: readonly WorkspaceStatus[]): string =>
  [
    header(antiPhishingCode),
    ...workspaces.flatMap((w) => [
      '',
      `Workspace: ${oneLine(w.workspaceName, 200)}`,
      `State: ${w.isLocked ? 'LOCKED (lockdown in force)' : 'open'}`,
      `Unread alerts: ${w.unreadAlerts}`,
      ...(w.extra ? w.extra.split('\n').map((line) => oneLine(line, 300)).filter((line) => line !== '') : []),
    ]),
  ].join('\n')

/** For chats we do not know and codes that do not work: says nothing about any account or workspace. */
export const NEUTRAL_ANSWER =
  'This is a Bulwark notification bot. To receive alerts here, create a Telegram channel in Bulwark → Settings → Notifications and send the code shown there as /start <code> in this private chat.'

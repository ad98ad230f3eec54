import type { Parse } from './api'
import { isRecord, readObject } from './json-guards'

/**
 * The security score (src/api/routes/security-routes.ts, GET …/security/score): a number 0–100 and the
 * checks it is made of, each with the step that completes it. A check id the dashboard does not know is
 * shown like any other, so the server can add checks without breaking the page.
 */

export type SecurityCheck = {
  id: string
  label: string
  done: boolean
  weight: number
  detail: string
  /** A dashboard path ("/security"): never a URL, so a link built from it stays on this site. */
  fix: { label: string; path: string }
}

/**
 * About the workspace, not the member (they never move the score): four-eyes approvals off in a team,
 * members the two-factor policy holds to viewer. An id the dashboard does not know is shown like any other.
 */
export type SecurityWarning = {
  id: string
  severity: 'warning' | 'info'
  message: string
  /** Whom it is about, by name (or address). */
  members: string[]
  fix: { label: string; path: string }
}

export type SecurityScore = { score: number; checks: SecurityCheck[]; warnings: SecurityWarning[] }

/** Only same-site paths: "/security", "/exchanges"; not "//host", not "javascript:". */
const SAFE_PATH = /^\/(?:[a-z0-9-]+(?:\/[a-z0-9-]+)*)?$/

const parseFix = (value: unknown, what: string): { label: string; path: string } => {
  const fix = readObject(value, what)
  const path = fix.string('path')
  if (!SAFE_PATH.test(path)) throw new Error(`${what}: expected "path" to be a dashboard path`)
  return { label: fix.string('label'), path }
}

const parseCheck = (value: unknown): SecurityCheck => {
  const fields = readObject(value, 'security check')
  const fix = parseFix(fields.record('fix'), 'security check fix')
  return { id: fields.string('id'), label: fields.string('label'), done: fields.boolean('done'), weight: fields.number('weight'), detail: fields.string('detail'), fix }
}

const parseWarning = (value: unknown): SecurityWarning => {
  const fields = readObject(value, 'security warning')
  const members = fields.array('members', (member) => {
    const person = readObject(member, 'security warning member')
    const name = person.nullableString('displayName')?.trim()
    return name === undefined || name === '' ? person.string('email') : name
  })
  return {
    id: fields.string('id'),
    severity: fields.oneOf('severity', ['warning', 'info'] as const),
    message: fields.string('message'),
    members,
    fix: parseFix(fields.record('fix'), 'security warning fix'),
  }
}

export const parseSecurityScore: Parse<SecurityScore> = (body) => {
  const fields = readObject(body, 'security score')
  const score = fields.number('score')
  if (score < 0 || score > 100) throw new Error('security score: expected "score" to be between 0 and 100')
  // A server from before teams sends no warnings.
  const warnings = isRecord(body) && body.warnings !== undefined ? fields.array('warnings', parseWarning) : []
  return { score: Math.round(score), checks: fields.array('checks', parseCheck), warnings }
}

/** Steps still open, the most valuable first (ties keep the server's order). */
export const openSteps = (score: SecurityScore): SecurityCheck[] => score.checks.filter((c) => !c.done).sort((a, b) => b.weight - a.weight)

export type ScoreTone = 'ok' | 'warn' | 'danger'

/** How the gauge colours a score: 80 and up is good, under 50 needs attention now. */
export const scoreTone = (score: number): ScoreTone => (score >= 80 ? 'ok' : score >= 50 ? 'warn' : 'danger')

/** The words beside the number, for people and for screen readers. */
export const scoreWords = (score: number): string => (score >= 80 ? 'Well protected' : score >= 50 ? 'Partly protected' : 'At risk')

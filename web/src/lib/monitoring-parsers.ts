import type { Parse } from './api'
import { isRecord, readList, readObject, type JsonRecord } from './json-guards'

/**
 * Types and parsers for what the security center, the activity log and the audit log read:
 * src/api/routes/security-routes.ts, activity-routes.ts and audit-routes.ts. Fields a page needs are
 * checked one by one (a wrong shape is BAD_RESPONSE, not half a page); open records (`details`) and
 * optional extras are read leniently, so a server that adds a field does not break the page.
 */

const recordOf = (value: unknown): JsonRecord => (isRecord(value) ? value : {})
const optionalNumber = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined)
const optionalString = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined)

// ---- Security center: key health -------------------------------------------------------------

export type KeyHealth = {
  exchangeAccountId: string
  keyId: string
  exchange: string
  label: string
  /** unverified | pending_approval | active | disabled | destroyed (kept as a string for states added later). */
  state: string
  disabledReason: string | null
  testnet: boolean
  badges: { withdrawDisabled: boolean; ipRestricted: boolean; tradingEnabled: boolean }
  ageDays: number
  /** Days until the workspace's rotation period ends; negative once it is overdue. */
  rotationDueInDays: number
  lastUsedAt: string | null
  lastVerifiedAt: string | null
  expiresAt: string | null
  /** The signer did not answer: the last known state. */
  stale: boolean
}

const parseKeyHealth = (value: unknown): KeyHealth => {
  const fields = readObject(value, 'key health')
  const badges = readObject(fields.record('badges'), 'key health badges')
  return {
    exchangeAccountId: fields.string('exchangeAccountId'),
    keyId: fields.string('keyId'),
    exchange: fields.string('exchange'),
    label: fields.string('label'),
    state: fields.string('state'),
    disabledReason: fields.nullableString('disabledReason'),
    testnet: fields.boolean('testnet'),
    badges: { withdrawDisabled: badges.boolean('withdrawDisabled'), ipRestricted: badges.boolean('ipRestricted'), tradingEnabled: badges.boolean('tradingEnabled') },
    ageDays: fields.number('ageDays'),
    rotationDueInDays: fields.number('rotationDueInDays'),
    lastUsedAt: fields.nullableString('lastUsedAt'),
    lastVerifiedAt: fields.nullableString('lastVerifiedAt'),
    expiresAt: fields.nullableString('expiresAt'),
    stale: fields.boolean('stale'),
  }
}

export const parseKeyHealthList: Parse<KeyHealth[]> = (body) => readList(body, 'key health', parseKeyHealth)

// ---- Activity log ------------------------------------------------------------------------------

export const activityOutcomes = ['success', 'failure', 'denied'] as const

export type ActivityEntry = {
  id: string
  occurredAt: string
  keyId: string
  exchangeAccountId: string | null
  exchange: string | null
  method: string
  endpoint: string | null
  botId: string | null
  /** success | failure | denied */
  outcome: string
  errorCode: string | null
  durationMs: number
  actorType: string
  actorId: string | null
  requestId: string
}

export type ActivityPage = { entries: ActivityEntry[]; next: string | null }

const parseActivityEntry = (value: unknown): ActivityEntry => {
  const fields = readObject(value, 'activity entry')
  return {
    id: fields.string('id'),
    occurredAt: fields.string('occurredAt'),
    keyId: fields.string('keyId'),
    exchangeAccountId: fields.nullableString('exchangeAccountId'),
    exchange: fields.nullableString('exchange'),
    method: fields.string('method'),
    endpoint: fields.nullableString('endpoint'),
    botId: fields.nullableString('botId'),
    outcome: fields.string('outcome'),
    errorCode: fields.nullableString('errorCode'),
    durationMs: fields.number('durationMs'),
    actorType: fields.string('actorType'),
    actorId: fields.nullableString('actorId'),
    requestId: fields.string('requestId'),
  }
}

export const parseActivityPage: Parse<ActivityPage> = (body) => {
  const fields = readObject(body, 'activity')
  return { entries: fields.array('entries', parseActivityEntry), next: fields.nullableString('next') }
}

export type KeyActivityDay = { day: string; requests: number; errors: number; denied: number }

export type KeyActivitySummary = {
  keyId: string
  exchangeAccountId: string | null
  exchange: string | null
  requests: number
  errors: number
  denied: number
  lastUsedAt: string | null
  latencyP50Ms: number | null
  latencyP95Ms: number | null
  /** Oldest first, one entry per UTC day of the window. */
  perDay: KeyActivityDay[]
}

const parseDay = (value: unknown): KeyActivityDay => {
  const fields = readObject(value, 'activity day')
  return { day: fields.string('day'), requests: fields.number('requests'), errors: fields.number('errors'), denied: fields.number('denied') }
}

const parseSummary = (value: unknown): KeyActivitySummary => {
  const fields = readObject(value, 'activity summary')
  const record = recordOf(value)
  return {
    keyId: fields.string('keyId'),
    exchangeAccountId: fields.nullableString('exchangeAccountId'),
    exchange: fields.nullableString('exchange'),
    requests: fields.number('requests'),
    errors: fields.number('errors'),
    denied: fields.number('denied'),
    lastUsedAt: fields.nullableString('lastUsedAt'),
    latencyP50Ms: optionalNumber(record.latencyP50Ms) ?? null,
    latencyP95Ms: optionalNumber(record.latencyP95Ms) ?? null,
    perDay: Array.isArray(record.perDay) ? fields.array('perDay', parseDay) : [],
  }
}

export const parseActivitySummaries: Parse<KeyActivitySummary[]> = (body) => readList(body, 'activity summary', parseSummary)

// ---- Audit log ---------------------------------------------------------------------------------

export type AuditEntry = {
  seq: number
  occurredAt: string
  type: string
  actor: { type: string; id: string | undefined }
  /** success | failure | denied (kept as a string). */
  outcome: string
  ip: string | null
  requestId: string | null
  details: JsonRecord
  hash: string
}

export type AuditPage = { entries: AuditEntry[]; nextCursor: string | null }

const parseAuditEntry = (value: unknown): AuditEntry => {
  const fields = readObject(value, 'audit entry')
  const actor = readObject(fields.record('actor'), 'audit entry actor')
  const record = recordOf(value)
  return {
    seq: fields.number('seq'),
    occurredAt: fields.string('occurredAt'),
    type: fields.string('type'),
    actor: { type: actor.string('type'), id: optionalString(recordOf(record.actor).id) },
    outcome: fields.string('outcome'),
    ip: fields.nullableString('ip'),
    requestId: fields.nullableString('requestId'),
    details: recordOf(record.details),
    hash: optionalString(record.hash) ?? '',
  }
}

export const parseAuditPage: Parse<AuditPage> = (body) => {
  const fields = readObject(body, 'audit page')
  return { entries: fields.array('entries', parseAuditEntry), nextCursor: fields.nullableString('nextCursor') }
}

/** Someone with entries in a workspace's audit log (GET …/audit/members): the member filter's choices. */
export type AuditMember = { userId: string; email: string | null; displayName: string | null; entries: number; lastAt: string }

export const parseAuditMembers: Parse<AuditMember[]> = (body) =>
  readObject(body, 'audit members').array('members', (value) => {
    const fields = readObject(value, 'audit member')
    return {
      userId: fields.string('userId'),
      email: fields.nullableString('email'),
      displayName: fields.nullableString('displayName'),
      entries: fields.number('entries'),
      lastAt: fields.string('lastAt'),
    }
  })

export type AuditVerification = {
  ok: boolean
  entries: number
  firstBadSeq: number | undefined
  reason: string | undefined
  archivedEntries: number | undefined
  checkpointsVerified: number | undefined
  lastCheckpoint: { seq: number; time: string } | null
  /** Why the signer's checkpoints could not be read (verification then covers the links only). */
  checkpointsUnavailable: string | undefined
}

/** Whether the system chain (everyone's account events) verifies: yes or no, and whether the signer's checkpoints were part of it; never its length. */
export type AccountAuditVerification = { ok: boolean; checkpointsChecked: boolean; lastCheckpointAt: string | null; checkedAt: string }

export const parseAccountAuditVerification: Parse<AccountAuditVerification> = (body) => {
  const fields = readObject(body, 'account audit verification')
  const record = recordOf(body)
  return {
    ok: fields.boolean('ok'),
    checkpointsChecked: fields.boolean('checkpointsChecked'),
    lastCheckpointAt: typeof record.lastCheckpointAt === 'string' ? record.lastCheckpointAt : null,
    checkedAt: fields.string('checkedAt'),
  }
}

export const parseAuditVerification: Parse<AuditVerification> = (body) => {
  const fields = readObject(body, 'audit verification')
  const record = recordOf(body)
  const checkpoint = isRecord(record.lastCheckpoint) ? readObject(record.lastCheckpoint, 'last checkpoint') : undefined
  return {
    ok: fields.boolean('ok'),
    entries: fields.number('entries'),
    firstBadSeq: optionalNumber(record.firstBadSeq),
    reason: optionalString(record.reason),
    archivedEntries: optionalNumber(record.archivedEntries),
    checkpointsVerified: optionalNumber(record.checkpointsVerified),
    lastCheckpoint: checkpoint === undefined ? null : { seq: checkpoint.number('seq'), time: checkpoint.string('time') },
    checkpointsUnavailable: optionalString(record.checkpointsUnavailable),
  }
}

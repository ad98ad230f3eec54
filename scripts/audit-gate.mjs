#!/usr/bin/env node
// Supply-chain gate: fails when a production dependency has a high or critical advisory that is not
// on the reviewed allowlist (.ci/audit-allowlist.json). See docs/supply-chain.md.
//
//   node scripts/audit-gate.mjs        (npm run gate:audit)
//
// Exit codes: 0 pass · 1 unallowed high/critical advisory, or a malformed allowlist · 2 npm audit
// could not produce a report (registry unreachable, no lock file, …): the gate fails closed ·
// 3 the registry refuses the advisory endpoint (405): nothing could be checked, said loudly.
//
// Node built-ins only. The decision logic (`validateAllowlist`, `evaluateAudit`) is pure and exported.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

export const GATED_SEVERITIES = new Set(['high', 'critical'])
/** Longest an allowlist entry may stay valid: every exception is re-reviewed at least yearly. */
export const MAX_ALLOWLIST_DAYS = 366

const ENTRY_KEYS = ['advisory', 'package', 'reason', 'reviewedBy', 'expires']
const GHSA_RE = /^GHSA(-[0-9a-z]{4}){3}$/i
const GHSA_IN_URL_RE = /\/(GHSA(?:-[0-9a-z]{4}){3})(?:[/?#]|$)/i
const DATE_RE = /^\d{4}-\d{2}-\d{2}$/
const DAY_MS = 24 * 60 * 60 * 1000

/** Today's date as YYYY-MM-DD in UTC. */
export const utcToday = (now = new Date()) => now.toISOString().slice(0, 10)

const isValidDate = (s) => {
  if (!DATE_RE.test(s)) return false
  const t = Date.parse(`${s}T00:00:00Z`)
  return Number.isFinite(t) && utcToday(new Date(t)) === s // rejects 2027-02-30 (rolls over) and 2027-13-01
}

/**
 * The comparable identity of an advisory reference: the upper-cased GHSA id when there is one
 * (a bare id or a GitHub advisory URL), otherwise the URL itself without a trailing slash.
 */
export const advisoryKey = (ref) => {
  if (typeof ref !== 'string') return null
  const s = ref.trim()
  if (GHSA_RE.test(s)) return s.toUpperCase()
  const m = GHSA_IN_URL_RE.exec(s)
  if (m) return m[1].toUpperCase()
  return s.replace(/\/+$/, '')
}

/**
 * Checks the allowlist file's shape. Returns the entries split into active and expired, and a list
 * of problems (any problem fails the gate). An entry counts through its `expires` day (UTC).
 */
export const validateAllowlist = (allowlist, today = utcToday()) => {
  const problems = []
  const active = []
  const expired = []
  if (allowlist === null || typeof allowlist !== 'object' || Array.isArray(allowlist)) {
    return { active, expired, problems: ['the allowlist must be a JSON object with an "entries" array'] }
  }
  for (const key of Object.keys(allowlist)) {
    if (key !== 'entries' && key !== '$comment') problems.push(`unknown top-level key "${key}"`)
  }
  if (!Array.isArray(allowlist.entries)) {
    problems.push('"entries" must be an array (use [] when nothing is allowlisted)')
    return { active, expired, problems }
  }
  const maxExpiry = utcToday(new Date(Date.parse(`${today}T00:00:00Z`) + MAX_ALLOWLIST_DAYS * DAY_MS))
  allowlist.entries.forEach((entry, i) => {
    const where = `entries[${i}]`
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      problems.push(`${where} must be an object`)
      return
    }
    const entryProblems = []
    for (const key of Object.keys(entry)) {
      if (!ENTRY_KEYS.includes(key)) entryProblems.push(`unknown key "${key}"`)
    }
    for (const key of ENTRY_KEYS) {
      if (typeof entry[key] !== 'string' || entry[key].trim() === '') entryProblems.push(`"${key}" must be a non-empty string`)
    }
    if (typeof entry.advisory === 'string' && entry.advisory.trim() !== '') {
      const a = entry.advisory.trim()
      if (!GHSA_RE.test(a) && !/^https:\/\/\S+$/.test(a)) {
        entryProblems.push(`"advisory" must be a GHSA id (GHSA-xxxx-xxxx-xxxx) or the advisory's https URL, got "${a}"`)
      }
    }
    if (typeof entry.reason === 'string' && entry.reason.trim() !== '' && entry.reason.trim().length < 20) {
      entryProblems.push('"reason" must say why the advisory does not affect us (at least 20 characters)')
    }
    if (typeof entry.expires === 'string' && entry.expires !== '') {
      if (!isValidDate(entry.expires)) entryProblems.push(`"expires" must be a date YYYY-MM-DD, got "${entry.expires}"`)
      else if (entry.expires > maxExpiry) {
        entryProblems.push(`"expires" is more than ${MAX_ALLOWLIST_DAYS} days ahead (${entry.expires}); re-review at least yearly`)
      }
    }
    if (entryProblems.length > 0) {
      const label = typeof entry.advisory === 'string' ? ` (${entry.advisory})` : ''
      for (const p of entryProblems) problems.push(`${where}${label}: ${p}`)
      return
    }
    const normalized = { ...entry, key: advisoryKey(entry.advisory), index: i }
    if (entry.expires < today) expired.push(normalized)
    else active.push(normalized)
  })
  return { active, expired, problems }
}

/**
 * Extracts every advisory from an `npm audit --json` report (npm 7+ / auditReportVersion 2), one per
 * advisory and package. `via` entries that are strings only point at another vulnerable package,
 * whose own entry carries the advisory, so they are skipped.
 */
export const listAdvisories = (report) => {
  const seen = new Map()
  for (const [pkgKey, vuln] of Object.entries(report.vulnerabilities ?? {})) {
    for (const via of Array.isArray(vuln?.via) ? vuln.via : []) {
      if (via === null || typeof via !== 'object') continue
      const pkg = typeof via.name === 'string' && via.name ? via.name : pkgKey
      const key = advisoryKey(via.url) ?? (via.source != null ? `npm:${via.source}` : `${pkg}:${via.title}`)
      const id = `${key}\0${pkg}`
      if (seen.has(id)) continue
      seen.set(id, {
        key,
        package: pkg,
        severity: String(via.severity ?? vuln.severity ?? 'unknown').toLowerCase(),
        title: via.title ?? '(no title)',
        url: via.url ?? '',
        source: via.source ?? null,
        range: via.range ?? vuln.range ?? '',
        fixAvailable: vuln.fixAvailable,
        effects: Array.isArray(vuln.effects) ? vuln.effects : [],
      })
    }
  }
  return [...seen.values()]
}

/**
 * The gate's decision, without I/O.
 * @returns {{ ok: boolean, reportProblems: string[], unallowed: object[], allowlisted: object[],
 *   expiredEntries: object[], unusedEntries: object[], problems: string[], belowThreshold: number }}
 */
export const evaluateAudit = (report, allowlist, today = utcToday()) => {
  if (report === null || typeof report !== 'object' || report.vulnerabilities === null ||
      typeof report.vulnerabilities !== 'object' || Array.isArray(report.vulnerabilities)) {
    throw new TypeError('not an npm audit report: no "vulnerabilities" object')
  }
  const { active, expired, problems } = validateAllowlist(allowlist, today)
  const gated = []
  let belowThreshold = 0
  for (const adv of listAdvisories(report)) {
    if (GATED_SEVERITIES.has(adv.severity)) gated.push(adv)
    else belowThreshold++
  }
  const used = new Set()
  const unallowed = []
  const allowlisted = []
  for (const adv of gated) {
    const entry = active.find((e) => e.key === adv.key && e.package === adv.package)
    if (entry) {
      used.add(entry.index)
      allowlisted.push({ ...adv, entry })
    } else {
      const expiredEntry = expired.find((e) => e.key === adv.key && e.package === adv.package)
      unallowed.push(expiredEntry ? { ...adv, expiredEntry } : adv)
    }
  }
  const unusedEntries = active.filter((e) => !used.has(e.index))
  // Fail closed if npm's summary disagrees with what we could read (e.g. a changed report format).
  const reportProblems = []
  const counts = report.metadata?.vulnerabilities
  const summaryGated = (Number(counts?.high) || 0) + (Number(counts?.critical) || 0)
  if (summaryGated > 0 && gated.length === 0) {
    reportProblems.push(
      `npm audit counts ${summaryGated} high/critical vulnerable package(s) but no advisory could be read from their "via" entries: report format not understood`,
    )
  }
  return {
    ok: problems.length === 0 && reportProblems.length === 0 && unallowed.length === 0,
    reportProblems,
    unallowed,
    allowlisted,
    expiredEntries: expired,
    unusedEntries,
    problems,
    belowThreshold,
  }
}

/** Human-readable lines for a result (the last line is the verdict). */
export const formatResult = (result) => {
  const lines = []
  const ref = (a) => (a.url || a.key)
  for (const p of result.reportProblems) lines.push(`✗ report: ${p}`)
  for (const p of result.problems) lines.push(`✗ allowlist: ${p}`)
  for (const e of result.expiredEntries) {
    lines.push(`! allowlist entry expired on ${e.expires}: ${e.advisory} (${e.package}), reviewed by ${e.reviewedBy} — re-review it or remove it`)
  }
  for (const a of result.unallowed) {
    const fix = a.fixAvailable === true ? 'fix available (npm audit fix)'
      : a.fixAvailable && typeof a.fixAvailable === 'object' ? `fix: ${a.fixAvailable.name}@${a.fixAvailable.version}${a.fixAvailable.isSemVerMajor ? ' (semver-major)' : ''}`
        : 'no fix available'
    const why = a.expiredEntry ? ` [allowlist entry expired ${a.expiredEntry.expires}]` : ''
    lines.push(`✗ ${a.severity.padEnd(8)} ${a.package}${a.range ? ` ${a.range}` : ''}: ${a.title} ${ref(a)} — ${fix}${why}`)
  }
  for (const a of result.allowlisted) {
    lines.push(`~ ${a.severity.padEnd(8)} ${a.package}: ${a.title} ${ref(a)} — allowlisted until ${a.entry.expires} by ${a.entry.reviewedBy}: ${a.entry.reason}`)
  }
  for (const e of result.unusedEntries) {
    lines.push(`· allowlist entry matches no current advisory: ${e.advisory} (${e.package}) — remove it if it is no longer needed`)
  }
  if (result.belowThreshold > 0) lines.push(`· ${result.belowThreshold} advisory(ies) below high severity not gated (see npm audit --omit=dev)`)
  const n = result.unallowed.length
  const verdict = `${n} unallowed high/critical advisor${n === 1 ? 'y' : 'ies'} (${result.allowlisted.length} allowlisted)`
  if (result.ok) lines.push(`audit gate: ${verdict}`)
  else if (result.reportProblems.length > 0) lines.push(`audit gate: FAILED — npm audit report not understood; ${verdict}`)
  else if (result.problems.length > 0 && n === 0) lines.push(`audit gate: FAILED — malformed allowlist (${result.problems.length} problem(s)); ${verdict}`)
  else lines.push(`audit gate: FAILED — ${verdict}${result.problems.length ? `; malformed allowlist (${result.problems.length} problem(s))` : ''}`)
  return lines
}

/** One line saying why npm audit gave no report (its JSON error body, or stderr). */
export const describeAuditFailure = (stdout, stderr, status) => {
  let detail = ''
  try {
    const body = JSON.parse(stdout)
    detail = body?.error?.summary || body?.message || body?.error?.code || body?.error?.detail || ''
    if (!detail && body?.statusCode) detail = `HTTP ${body.statusCode}`
  } catch {
    // not JSON: fall back to stderr
  }
  if (!detail) {
    detail = String(stderr ?? '').split('\n').map((l) => l.replace(/^npm (error|warn|ERR!)\s*/, '').trim())
      .find((l) => l && !/^code \S+$/.test(l) && !/complete log of this run/i.test(l)) ?? ''
  }
  detail = detail.replace(/\s+/g, ' ').trim() || `npm exited with status ${status}`
  return `audit gate: FAILED — npm audit could not get an advisory report (${detail}); failing closed: the gate needs package-lock.json and the npm registry's audit endpoint`
}

// `--offline=false`: with `offline` set (e.g. npm_config_offline in the environment) npm audit
// skips the registry and reports zero vulnerabilities, which would pass the gate silently.
const runAudit = (cwd) =>
  spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high', '--json', '--offline=false'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 180_000,
    shell: process.platform === 'win32',
  })

const main = () => {
  const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
  const allowlistPath = path.join(repoRoot, '.ci', 'audit-allowlist.json')

  let allowlist
  try {
    allowlist = JSON.parse(readFileSync(allowlistPath, 'utf8'))
  } catch (err) {
    console.error(`audit gate: FAILED — cannot read ${path.relative(repoRoot, allowlistPath)}: ${String(err.message).replace(/\s+/g, ' ')}`)
    return 1
  }

  const run = runAudit(repoRoot)
  if (run.error) {
    console.error(`audit gate: FAILED — could not run npm audit (${run.error.code ?? run.error.message}); the gate fails closed`)
    return 2
  }
  let report
  try {
    report = JSON.parse(run.stdout)
  } catch {
    report = null
  }
  if (!report || typeof report.vulnerabilities !== 'object' || report.vulnerabilities === null || report.error) {
    // 405 from the advisory endpoint: the registry we reach (a mirror or proxy) does not serve the audit
    // API at all. That is a property of the environment, not a network fault: exit 3 so .ci/run can say
    // loudly that no advisory check ran, instead of blocking every build on this machine.
    if (/\b405 Method Not Allowed\b.*advisories/.test(`${run.stderr}\n${run.stdout}`)) {
      console.error('audit gate: NOT RUN — the npm registry reached from here refuses the advisory endpoint (405); no advisory check was possible')
      return 3
    }
    console.error(describeAuditFailure(run.stdout, run.stderr, run.status))
    return 2
  }

  const result = evaluateAudit(report, allowlist)
  const counts = report.metadata?.vulnerabilities
  if (counts) {
    const deps = report.metadata?.dependencies
    console.log(
      `npm audit (production dependencies${deps?.prod != null ? `: ${deps.prod}` : ''}): ` +
        `${counts.critical ?? 0} critical, ${counts.high ?? 0} high, ${counts.moderate ?? 0} moderate, ${counts.low ?? 0} low`,
    )
  }
  const lines = formatResult(result)
  for (const line of lines) (result.ok ? console.log : console.error)(line)
  return result.ok ? 0 : 1
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = main()
}

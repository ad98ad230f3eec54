/**
 * Pure helpers that turn the `/readyz` answer into what the readiness panel shows. Checks are a
 * generic map (database today, signer and more later): "ok" passes, any other value is the problem.
 */

export type CheckView = {
  name: string
  label: string
  isOk: boolean
  valueLabel: string
}

export type ReadinessTone = 'ok' | 'bad'

export type ReadinessSummary = {
  tone: ReadinessTone
  title: string
  detail: string
}

const humanize = (value: string): string => value.replace(/[_-]+/g, ' ').trim()

/** "database" → "Database", "share_store-2" → "Share store 2". */
export const formatCheckName = (name: string): string => {
  const words = humanize(name)
  return words === '' ? name : words.charAt(0).toUpperCase() + words.slice(1)
}

/** "ok" → "OK"; anything else is shown in plain words ("not_configured" → "not configured"). */
export const formatCheckValue = (value: string): string => (value === 'ok' ? 'OK' : humanize(value) || value)

/** Failing checks first, then by name, so the problem is the first thing read. */
export const listChecks = (checks: Readonly<Record<string, string>>): CheckView[] =>
  Object.entries(checks)
    .map(([name, value]) => ({
      name,
      label: formatCheckName(name),
      isOk: value === 'ok',
      valueLabel: formatCheckValue(value),
    }))
    .sort((a, b) => Number(a.isOk) - Number(b.isOk) || a.name.localeCompare(b.name))

export const summarizeReadiness = (isReady: boolean, checks: Readonly<Record<string, string>>): ReadinessSummary => {
  const views = listChecks(checks)
  const failing = views.filter((check) => !check.isOk)
  if (isReady) {
    const detail =
      views.length === 0 ? 'The server is ready.' : views.length === 1 ? 'The one check passes.' : `All ${views.length} checks pass.`
    return { tone: 'ok', title: 'Ready', detail }
  }
  const [first] = failing
  if (first === undefined) return { tone: 'bad', title: 'Not ready', detail: 'The server reports it is not ready yet.' }
  if (failing.length === 1) return { tone: 'bad', title: 'Not ready', detail: `${first.label}: ${first.valueLabel}.` }
  return {
    tone: 'bad',
    title: 'Not ready',
    detail: `${failing.length} checks need attention: ${failing.map((check) => check.label).join(', ')}.`,
  }
}

/**
 * Canonical JSON: object keys sorted by code point, no whitespace, `undefined` members dropped.
 * Hash chains and signatures are computed over this form, so it must never depend on insertion order.
 * Non-finite numbers, bigints, functions and cycles are refused rather than silently changed.
 */
export const canonicalJson = (value: unknown): string => {
  const seen = new Set<object>()
  const encode = (v: unknown): string | undefined => {
    if (v === null) return 'null'
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return JSON.stringify(v)
      case 'number':
        if (!Number.isFinite(v)) throw new TypeError('canonicalJson: non-finite number')
        return JSON.stringify(v)
      case 'undefined':
        return undefined
      case 'object': {
        if (v instanceof Date) return JSON.stringify(v.toISOString())
        if (seen.has(v)) throw new TypeError('canonicalJson: cycle')
        seen.add(v)
        let out: string
        if (Array.isArray(v)) {
          out = `[${v.map((item) => encode(item) ?? 'null').join(',')}]`
        } else {
          const parts: string[] = []
          for (const key of Object.keys(v).sort()) {
            const encoded = encode((v as Record<string, unknown>)[key])
            if (encoded !== undefined) parts.push(`${JSON.stringify(key)}:${encoded}`)
          }
          out = `{${parts.join(',')}}`
        }
        seen.delete(v)
        return out
      }
      default:
        throw new TypeError(`canonicalJson: cannot encode ${typeof v}`)
    }
  }
  return encode(value) ?? 'null'
}

/**
 * Path templates of the venue files: literal segments, and `{name}` for exactly one segment whose
 * value must match the rule's regex for it (default: letters, digits, "_" and "-", up to 64).
 */
const defaultSegment = '[A-Za-z0-9_-]{1,64}'

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export const compilePathTemplate = (template: string, params: Readonly<Record<string, string>> = {}): RegExp => {
  const source = template
    .split('/')
    .map((segment) => {
      const name = /^\{([A-Za-z0-9_-]+)\}$/.exec(segment)?.[1]
      if (name === undefined) {
        if (segment.includes('{') || segment.includes('}')) throw new Error(`path template "${template}": a {name} must be a whole segment`)
        return escape(segment)
      }
      return `(?:${params[name] ?? defaultSegment})`
    })
    .join('/')
  return new RegExp(`^${source}$`)
}

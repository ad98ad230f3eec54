// Prints the README's configuration table from the zod schema's descriptions (npm run docs:config),
// so the documentation cannot drift from what the code reads. Needs the build (dist/).
const { envSchema } = await import('../dist/config/env.js')

const rows = Object.entries(envSchema.shape).map(([name, schema]) => {
  let def = ''
  try {
    const parsed = schema.safeParse(undefined)
    if (parsed.success && parsed.data !== undefined) def = Array.isArray(parsed.data) ? parsed.data.join(',') : String(parsed.data)
  } catch {
    // no default
  }
  return `| \`${name}\` | ${def === '' ? '—' : `\`${def}\``} | ${schema.description ?? ''} |`
})
process.stdout.write(['| Variable | Default | Meaning |', '| --- | --- | --- |', ...rows].join('\n') + '\n')

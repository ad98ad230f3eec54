// `npm run bench -- <name>`: runs one benchmark; each prints human lines, then one JSON line last.
const benches: Record<string, () => Promise<void>> = {
  startup: async () => (await import('./startup.js')).run(),
  vault: async () => (await import('./vault.js')).run(),
  auth: async () => (await import('./auth.js')).run(),
  demo: async () => (await import('./demo.js')).run(),
  bots: async () => (await import('./bots.js')).run(),
  audit: async () => (await import('./audit.js')).run(),
  'web-bundle': async () => (await import('./web-bundle.js')).run(),
  teams: async () => (await import('./teams.js')).run(),
}

const name = process.argv[2]
const bench = name ? benches[name] : undefined
if (!bench) {
  process.stderr.write(`usage: npm run bench -- <${Object.keys(benches).join('|')}>\n`)
  process.exit(2)
}
await bench()

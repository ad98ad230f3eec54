#!/usr/bin/env node
// The `bulwark` command. It runs the compiled code in dist/ (built by `npm run build`, which `npm start` runs first).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('bulwark: not built yet: run `npm run build` (or `npm start`, which builds first)\n')
  process.exit(1)
}
const { runCli } = await import(entry.href)
await runCli(process.argv)

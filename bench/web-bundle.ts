import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

/**
 * What the dashboard costs a browser: the JavaScript and CSS that load before the first page can show
 * (index.html's module script and stylesheets, and every chunk those scripts import statically), and
 * every lazily loaded chunk beside it. Sizes as built and gzipped (level 9, what a compressing proxy
 * sends at best). Run after `npm run build:web`. Issue 9's budget: initial JavaScript ≤ 250 KB gzipped.
 */

export const INITIAL_JS_BUDGET_GZIP = 250 * 1024

export type Chunk = { file: string; bytes: number; gzip: number; initial: boolean }

export type WebBundle = {
  initialJsBytes: number
  initialJsGzip: number
  initialCssGzip: number
  lazyJsGzip: number
  chunks: Chunk[]
}

const gzipSize = (data: Buffer) => gzipSync(data, { level: 9 }).length

/**
 * Static imports of a built ES module chunk: `import"./x.js"` and `import{…}from"./x.js"` (also
 * `export…from`), never `import("./x.js")`, which is a lazy chunk. Vite's minified output writes
 * sibling chunks as "./name-hash.js".
 */
export const staticImports = (code: string): string[] => {
  const found = new Set<string>()
  for (const match of code.matchAll(/(?:\bimport|\bexport)\s*(?:[\w$*{}\s,]+?\s*from\s*)?["']\.\/([\w.-]+\.js)["']/g)) {
    if (match[1] !== undefined) found.add(match[1])
  }
  return [...found]
}

/** The initial chunks: the entry scripts of index.html and everything they import statically, transitively. */
const initialChunks = (assets: string, entries: readonly string[]): Set<string> => {
  const seen = new Set<string>()
  const queue = [...entries]
  while (queue.length > 0) {
    const file = queue.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    queue.push(...staticImports(readFileSync(join(assets, file), 'utf8')))
  }
  return seen
}

/** Measures `web/dist` (or another Vite output folder with an `assets/` folder). */
export const measureWebBundle = (dist: string): WebBundle => {
  const html = readFileSync(join(dist, 'index.html'), 'utf8')
  const assets = join(dist, 'assets')
  const scriptEntries = [...html.matchAll(/<script[^>]*type="module"[^>]*src="\/assets\/([^"]+\.js)"/g), ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="\/assets\/([^"]+\.js)"/g)].map((m) => m[1] as string)
  const cssEntries = new Set([...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="\/assets\/([^"]+\.css)"/g)].map((m) => m[1] as string))
  if (scriptEntries.length === 0) throw new Error(`no module script in ${join(dist, 'index.html')}: build the dashboard first (npm run build:web)`)
  const initial = initialChunks(assets, scriptEntries)

  const chunks: Chunk[] = readdirSync(assets)
    .filter((file) => file.endsWith('.js') || file.endsWith('.css'))
    .map((file) => {
      const data = readFileSync(join(assets, file))
      return { file, bytes: data.length, gzip: gzipSize(data), initial: initial.has(file) || cssEntries.has(file) }
    })
    .sort((a, b) => b.gzip - a.gzip)
  const sum = (list: Chunk[], key: 'bytes' | 'gzip') => list.reduce((total, chunk) => total + chunk[key], 0)
  const js = chunks.filter((chunk) => chunk.file.endsWith('.js'))
  const initialJs = js.filter((chunk) => chunk.initial)
  return {
    initialJsBytes: sum(initialJs, 'bytes'),
    initialJsGzip: sum(initialJs, 'gzip'),
    initialCssGzip: sum(chunks.filter((chunk) => chunk.file.endsWith('.css') && chunk.initial), 'gzip'),
    lazyJsGzip: sum(js.filter((chunk) => !chunk.initial), 'gzip'),
    chunks,
  }
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`

export const run = async (): Promise<void> => {
  const bundle = measureWebBundle(join(import.meta.dirname, '..', 'web', 'dist'))
  for (const chunk of bundle.chunks) {
    process.stdout.write(`${chunk.initial ? 'initial' : 'lazy   '}  ${kb(chunk.gzip).padStart(9)} gzip  ${kb(chunk.bytes).padStart(9)}  ${chunk.file}\n`)
  }
  process.stdout.write(`initial JavaScript ${kb(bundle.initialJsGzip)} gzipped (budget ${kb(INITIAL_JS_BUDGET_GZIP)}); lazy ${kb(bundle.lazyJsGzip)}\n`)
  process.stdout.write(
    `${JSON.stringify({
      name: 'web-bundle',
      initialJsKBGzip: Number((bundle.initialJsGzip / 1024).toFixed(1)),
      initialJsKB: Number((bundle.initialJsBytes / 1024).toFixed(1)),
      initialCssKBGzip: Number((bundle.initialCssGzip / 1024).toFixed(1)),
      lazyJsKBGzip: Number((bundle.lazyJsGzip / 1024).toFixed(1)),
      budgetKBGzip: INITIAL_JS_BUDGET_GZIP / 1024,
      chunks: bundle.chunks.length,
    })}\n`,
  )
}

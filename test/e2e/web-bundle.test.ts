import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { INITIAL_JS_BUDGET_GZIP, measureWebBundle, staticImports } from '../../bench/web-bundle.js'

const dist = join(import.meta.dirname, '..', '..', 'web', 'dist')

describe('the dashboard bundle', () => {
  it('tells static imports from lazy ones in minified chunks', () => {
    const code = 'import{a as b,c}from"./react-x1.js";import"./side-effect.js";export{d}from"./re-export.js";const p=()=>import("./demo-page-y2.js");'
    expect(staticImports(code).sort()).toEqual(['re-export.js', 'react-x1.js', 'side-effect.js'])
  })

  // The build is made once per run by the global setup (test/support/global-setup.ts).
  it.runIf(existsSync(join(dist, 'index.html')))('loads at most 250 KB of gzipped JavaScript before the first page, the chart library only when a page needs it', () => {
    const bundle = measureWebBundle(dist)
    const initial = bundle.chunks.filter((chunk) => chunk.initial && chunk.file.endsWith('.js'))
    expect(initial.length).toBeGreaterThan(0)
    expect(bundle.initialJsGzip).toBeLessThanOrEqual(INITIAL_JS_BUDGET_GZIP)
    // Pages are split off: there is lazily loaded JavaScript, and none of it is pulled in at start.
    expect(bundle.lazyJsGzip).toBeGreaterThan(0)
    // lightweight-charts (the heaviest library) adds its attribution logo under this id: not in any initial chunk.
    for (const chunk of initial) expect(readFileSync(join(dist, 'assets', chunk.file), 'utf8')).not.toContain('tv-attr-logo')
  })
})

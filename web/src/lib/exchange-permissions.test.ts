import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { exchangesWithChecklist, permissionChecklist } from './exchange-permissions'

// The venue files are read as text: the web app imports nothing from src/ but shared types (eslint).
const venuesDir = join(process.cwd(), 'src', 'exchanges', 'venues')
const venueText = new Map(
  readdirSync(venuesDir)
    .map((file) => readFileSync(join(venuesDir, file), 'utf8'))
    .flatMap((text) => {
      const id = /^ {4}id: '([a-z0-9-]+)',$/m.exec(text)?.[1]
      return id === undefined ? [] : [[id, text] as const]
    }),
)

describe('permission checklists', () => {
  it('exist for catalogue exchanges only, and for all but those whose guide names no boxes', () => {
    expect(venueText.size).toBeGreaterThan(10)
    for (const id of exchangesWithChecklist()) expect(venueText.has(id), id).toBe(true)
    expect([...venueText.keys()].filter((id) => permissionChecklist(id) === undefined).sort()).toEqual(['exmo', 'xt'])
  })

  it('name something to tick and something to leave unticked for every exchange', () => {
    for (const id of exchangesWithChecklist()) {
      expect(permissionChecklist(id)?.tick.length, id).toBeGreaterThan(0)
      expect(permissionChecklist(id)?.untick.length, id).toBeGreaterThan(0)
    }
  })

  it("uses the exchange's own words where its guide quotes them", () => {
    for (const id of ['binance', 'binanceusdm', 'okx', 'kraken', 'kucoin', 'blofin', 'htx', 'mexc']) {
      const text = venueText.get(id) ?? ''
      for (const name of permissionChecklist(id)?.tick ?? []) expect(text, `${id}: ${name}`).toContain(`"${name}"`)
    }
  })
})

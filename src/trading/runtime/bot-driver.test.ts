import { describe, expect, it } from 'vitest'
import type { IntentView } from '../trading-types.js'
import { journalKeyPrefix, localView } from './bot-driver.js'

const view = (intentKey: string) => ({ intentKey, id: 'i1' }) as IntentView

describe('journal keys of a promoted bot', () => {
  it('are the machine keys behind the promotion time, so the demo era and the live era never share an intent', () => {
    const promotedAt = new Date('2026-12-05T10:00:00Z')
    const live = { keyPrefix: journalKeyPrefix(promotedAt) }
    expect(live.keyPrefix).toBe(`live${promotedAt.getTime().toString(36)}.`)
    expect(localView(live, view(`${live.keyPrefix}p1.entry`))?.intentKey).toBe('p1.entry')
    // The demo era's "p1.entry" is not this machine's, though the machine uses the same name again.
    expect(localView(live, view('p1.entry'))).toBeNull()
    // A bot never promoted sees its keys as they are.
    expect(localView({ keyPrefix: journalKeyPrefix(null) }, view('p1.entry'))?.intentKey).toBe('p1.entry')
  })
})

import { describe, expect, it } from 'vitest'
import { chooseWorkspace } from './workspace'

const personal = { id: 'w1', name: 'Personal', role: 'owner' }
const fund = { id: 'w2', name: 'Fund', role: 'viewer' }

describe('the current workspace', () => {
  it('is the saved one while it is still yours, else the first', () => {
    expect(chooseWorkspace([personal, fund], 'w2')).toBe(fund)
    expect(chooseWorkspace([personal, fund], 'gone')).toBe(personal)
    expect(chooseWorkspace([personal, fund], undefined)).toBe(personal)
    expect(chooseWorkspace([], 'w1')).toBeUndefined()
  })
})

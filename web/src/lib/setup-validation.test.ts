import { describe, expect, it } from 'vitest'
import { characterCount, firstInvalidField, normalizeSetupFields, validateSetupFields } from './setup-validation'

const valid = { token: 'tok', email: 'op@localhost', password: 'correct horse battery', workspaceName: 'Personal' }

describe('setup form validation', () => {
  it('accepts a complete form, including a localhost address', () => {
    expect(validateSetupFields(valid)).toEqual({})
  })

  it('refuses a password shorter than 15 characters and says how long it is', () => {
    expect(validateSetupFields({ ...valid, password: 'fourteen chars' }).password).toBe(
      'Use at least 15 characters; this one has 14.',
    )
  })

  it('counts characters, not UTF-16 units', () => {
    expect(characterCount('🔒🔒')).toBe(2)
  })

  it('trims pasted whitespace from the token, email and workspace name but never the password', () => {
    expect(normalizeSetupFields({ ...valid, token: ' tok\n', password: ' secret ' })).toEqual({
      ...valid,
      token: 'tok',
      password: ' secret ',
    })
  })

  it('reports the first invalid field in form order', () => {
    const errors = validateSetupFields({ token: '', email: 'nope', password: '', workspaceName: ' ' })
    expect(Object.keys(errors).sort()).toEqual(['email', 'password', 'token', 'workspaceName'])
    expect(firstInvalidField(errors)).toBe('token')
    expect(firstInvalidField({ workspaceName: 'x', email: 'y' })).toBe('email')
  })
})

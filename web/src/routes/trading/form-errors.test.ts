import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { asFieldMessage, fieldErrorsOf, firstErrorField, formErrorMap, numberFrom, serverFieldErrors } from './form-errors'

describe('form errors from the API schemas', () => {
  const schema = z.object({
    seconds: z.number().int().min(5).max(60),
    name: z.string().trim().min(1),
    list: z.array(z.string()).min(1).max(2),
    price: z.string().regex(/^\d+$/, 'must be digits'),
  })

  it("says zod's own checks as a form would, and keeps the schema's messages", () => {
    const parsed = schema.safeParse({ seconds: 2, name: '  ', list: ['a', 'b', 'c'], price: 'x' }, { error: formErrorMap })
    if (parsed.success) throw new Error('expected a refusal')
    expect(fieldErrorsOf(parsed.error, (path) => (path[0] === 'list' ? undefined : String(path[0])))).toEqual({
      seconds: 'Must be at least 5.',
      name: 'Must not be empty.',
      form: 'Takes at most 2.',
      price: 'Must be digits.',
    })
    const more = schema.safeParse({ seconds: 61.5, name: 'a', list: [], price: '1' }, { error: formErrorMap })
    if (more.success) throw new Error('expected a refusal')
    expect(fieldErrorsOf(more.error, (path) => String(path[0]))).toEqual({ seconds: 'Must be a whole number.', list: 'Needs at least 1.' })
  })

  it('finds the first field to focus, in form order', () => {
    expect(firstErrorField({ b: 'x', a: 'y' }, ['a', 'b'])).toBe('a')
    expect(firstErrorField({ form: 'x' }, ['a'])).toBe('form')
    expect(firstErrorField({ other: 'x' }, ['a'])).toBe('other')
  })

  it('reads typed numbers strictly', () => {
    expect(numberFrom(' 14 ')).toBe(14)
    expect(numberFrom('2.5')).toBe(2.5)
    expect(numberFrom('1e3')).toBeNaN()
    expect(numberFrom('')).toBeNaN()
    expect(asFieldMessage('done.')).toBe('Done.')
  })

  it("puts the server's validation error on the field it names, with numbers in the path as indexes", () => {
    const fieldOf = (path: readonly PropertyKey[]) => (path[0] === 'targets' && typeof path[1] === 'number' ? `target.${path[1]}.value` : path[0] === 'amount' ? 'amount' : undefined)
    expect(serverFieldErrors({ field: 'targets.1.price', fieldProblem: 'Must be a decimal number.' }, fieldOf)).toEqual({ 'target.1.value': 'Must be a decimal number.' })
    expect(serverFieldErrors({ field: 'amount', fieldProblem: 'Must not be empty.' }, fieldOf)).toEqual({ amount: 'Must not be empty.' })
  })

  it('leaves an error that names no field of the form to the notice by the button', () => {
    const fieldOf = (path: readonly PropertyKey[]) => (path[0] === 'amount' ? 'amount' : undefined)
    expect(serverFieldErrors({ field: 'somewhere.else', fieldProblem: 'Is invalid.' }, fieldOf)).toEqual({})
    expect(serverFieldErrors({ field: undefined, fieldProblem: undefined }, fieldOf)).toEqual({})
    expect(serverFieldErrors(undefined, fieldOf)).toEqual({})
  })
})

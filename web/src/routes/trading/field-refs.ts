import { useCallback, useEffect, useRef } from 'react'
import { firstErrorField, type FieldErrors } from './form-errors'

/**
 * The inputs of a form by field name, so a failed submit can move focus to the first field with an
 * error (or to the form's own error notice, registered as `form`). Focus moves after the render that
 * shows the errors: some of them (a collapsed section, the form's notice) exist only from then on.
 */
export const useFieldRefs = () => {
  const refs = useRef<Record<string, HTMLElement | null>>({})
  const pendingFocus = useRef<string | undefined>(undefined)

  useEffect(() => {
    if (pendingFocus.current === undefined) return
    refs.current[pendingFocus.current]?.focus()
    pendingFocus.current = undefined
  })

  const register = useCallback(
    (name: string) => (element: HTMLElement | null) => {
      refs.current[name] = element
    },
    [],
  )
  /** Call together with the state update that shows `errors`. */
  const focusFirstAfterRender = useCallback((errors: FieldErrors, order: readonly string[]) => {
    pendingFocus.current = firstErrorField(errors, order)
  }, [])
  return { register, focusFirstAfterRender }
}

export type Register = ReturnType<typeof useFieldRefs>['register']

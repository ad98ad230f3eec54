import { useEffect, useRef } from 'react'

/** Focuses the element once it is shown: for a result that replaces the form that produced it. */
export const useFocusOnMount = <T extends HTMLElement>() => {
  const ref = useRef<T>(null)
  useEffect(() => {
    ref.current?.focus()
  }, [])
  return ref
}

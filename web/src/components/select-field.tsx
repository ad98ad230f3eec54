import type { ReactNode, Ref, SelectHTMLAttributes } from 'react'

type Props = Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id' | 'aria-describedby' | 'aria-invalid'> & {
  id: string
  label: string
  help?: ReactNode
  error?: string | undefined
  ref?: Ref<HTMLSelectElement>
  children: ReactNode
}

/** A labelled select, announced with its help and error like TextField. */
export const SelectField = ({ id, label, help, error, ref, children, ...select }: Props) => {
  const describedBy = [help === undefined ? undefined : `${id}-help`, error === undefined ? undefined : `${id}-error`].filter(Boolean).join(' ')
  return (
    <div className={error === undefined ? 'field' : 'field field--invalid'}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <select
        {...select}
        id={id}
        ref={ref}
        className="field__input field__select"
        aria-invalid={error === undefined ? undefined : true}
        aria-describedby={describedBy === '' ? undefined : describedBy}
      >
        {children}
      </select>
      {help === undefined ? null : (
        <p className="field__help" id={`${id}-help`}>
          {help}
        </p>
      )}
      {error === undefined ? null : (
        <p className="field__error" id={`${id}-error`}>
          {error}
        </p>
      )}
    </div>
  )
}

import type { InputHTMLAttributes, ReactNode, Ref } from 'react'

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'aria-describedby' | 'aria-invalid'> & {
  id: string
  label: string
  help?: ReactNode
  error?: string | undefined
  ref?: Ref<HTMLInputElement>
  /** A control shown beside the input, such as a show-password button. */
  trailing?: ReactNode
}

/** A labelled input whose help text and error are announced with it. */
export const TextField = ({ id, label, help, error, ref, trailing, className, ...input }: Props) => {
  const helpId = `${id}-help`
  const errorId = `${id}-error`
  const describedBy = [help === undefined ? undefined : helpId, error === undefined ? undefined : errorId]
    .filter((value) => value !== undefined)
    .join(' ')
  return (
    <div className={error === undefined ? 'field' : 'field field--invalid'}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <div className="field__control">
        <input
          {...input}
          id={id}
          ref={ref}
          className={className === undefined ? 'field__input' : `field__input ${className}`}
          aria-invalid={error === undefined ? undefined : true}
          aria-describedby={describedBy === '' ? undefined : describedBy}
        />
        {trailing}
      </div>
      {help === undefined ? null : (
        <p className="field__help" id={helpId}>
          {help}
        </p>
      )}
      {error === undefined ? null : (
        <p className="field__error" id={errorId}>
          {error}
        </p>
      )}
    </div>
  )
}

import type { ReactNode, Ref, TextareaHTMLAttributes } from 'react'

type Props = Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id' | 'aria-describedby' | 'aria-invalid'> & {
  id: string
  label: string
  help?: ReactNode
  error?: string | undefined
  ref?: Ref<HTMLTextAreaElement>
}

/** A labelled multi-line input, announced with its help and error like TextField. */
export const TextAreaField = ({ id, label, help, error, ref, className, ...textarea }: Props) => {
  const describedBy = [help === undefined ? undefined : `${id}-help`, error === undefined ? undefined : `${id}-error`].filter(Boolean).join(' ')
  return (
    <div className={error === undefined ? 'field' : 'field field--invalid'}>
      <label className="field__label" htmlFor={id}>
        {label}
      </label>
      <textarea
        {...textarea}
        id={id}
        ref={ref}
        className={className === undefined ? 'field__input field__textarea' : `field__input field__textarea ${className}`}
        aria-invalid={error === undefined ? undefined : true}
        aria-describedby={describedBy === '' ? undefined : describedBy}
      />
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

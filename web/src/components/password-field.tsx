import { useState, type ComponentProps } from 'react'
import { TextField } from './text-field'

type Props = Omit<ComponentProps<typeof TextField>, 'type' | 'trailing'>

/** A password input with a Show/Hide button whose name says which field it reveals. */
export const PasswordField = (props: Props) => {
  const [isVisible, setIsVisible] = useState(false)
  return (
    <TextField
      {...props}
      type={isVisible ? 'text' : 'password'}
      autoCapitalize="off"
      autoCorrect="off"
      spellCheck={false}
      trailing={
        <button
          type="button"
          className="button button--secondary button--inline"
          onClick={() => setIsVisible((visible) => !visible)}
          aria-controls={props.id}
          aria-label={`${isVisible ? 'Hide' : 'Show'} ${props.label.toLowerCase()}`}
        >
          {isVisible ? 'Hide' : 'Show'}
        </button>
      }
    />
  )
}

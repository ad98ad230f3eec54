import type { ReactNode, Ref } from 'react'

type Props = {
  tone: 'success' | 'info' | 'warning'
  children: ReactNode
  ref?: Ref<HTMLDivElement>
}

/** A polite status message (role="status"); errors use ErrorNotice (role="alert"). */
export const Notice = ({ tone, children, ref }: Props) => (
  <div className={`notice notice--${tone}`} role="status" tabIndex={-1} ref={ref}>
    {children}
  </div>
)

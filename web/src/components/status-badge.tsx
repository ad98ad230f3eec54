export type StatusTone = 'ok' | 'bad' | 'warn' | 'pending'

const icons: Record<StatusTone, string> = {
  ok: 'M4 8.5 6.8 11 12 5.5',
  bad: 'M5 5l6 6M11 5l-6 6',
  warn: 'M8 3.5v5.5M8 12v.5',
  pending: 'M14 8A6 6 0 1 1 2 8a6 6 0 0 1 12 0ZM8 5.5V8l1.75 1.25',
}

/** A status in words with an icon, never colour alone. */
export const StatusBadge = ({ tone, label }: { tone: StatusTone; label: string }) => (
  <span className={`badge badge--${tone}`}>
    <svg className="badge__icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false">
      <path d={icons[tone]} fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
    {label}
  </span>
)

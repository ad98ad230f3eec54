import { formatDateTime, formatRelative } from '../lib/account-format'

/** "5 minutes ago", with the exact local time on hover and in the machine-readable attribute. */
export const TimeText = ({ iso }: { iso: string }) => (
  <time dateTime={iso} title={formatDateTime(iso)}>
    {formatRelative(iso, new Date())}
  </time>
)

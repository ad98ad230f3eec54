/** What a page about a workspace shows to someone who is in none. */
export const NoWorkspace = ({ what }: { what: string }) => (
  <section className="card mon-section">
    <p>You are not a member of any workspace yet, so there {what}.</p>
  </section>
)

/** Roles that may pull the brake (src/auth/policy.ts `incident.lockdown`). */
export const canLockDown = (role: string): boolean => role === 'owner' || role === 'admin' || role === 'trader'

/** Roles that may unlock, manage settings and webhooks, and read and export the audit log. */
export const isOwnerOrAdmin = (role: string): boolean => role === 'owner' || role === 'admin'

import { routePaths } from '../lib/router'
import { waitingSentence } from '../lib/team-format'
import type { Approval } from '../lib/team-parsers'
import { useFocusOnMount } from '../lib/use-focus'
import { Link } from './link'

/**
 * What a gated form shows when the server answered 202: the change did not happen, it waits for a
 * second owner or admin. Neither success nor failure; it takes focus like a result does.
 */
export const ApprovalWaiting = ({ approval }: { approval: Pick<Approval, 'summary'> }) => {
  const ref = useFocusOnMount<HTMLDivElement>()
  return (
    <div className="notice notice--info approval-waiting" role="status" tabIndex={-1} ref={ref}>
      <p className="notice__message">{waitingSentence(approval)}</p>
      <p>
        <Link to={routePaths.approvals}>Follow it under Approvals</Link>
      </p>
    </div>
  )
}

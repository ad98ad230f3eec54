import { useState } from 'react'
import { PageHeading } from '../../components/page-heading'
import type { Workspace } from '../../lib/account-parsers'
import { ChannelsCard } from './channels-card'
import { DeliveriesCard } from './deliveries-card'
import { NoWorkspace, isOwnerOrAdmin } from './no-workspace'
import { AlertRulesCard, WorkspaceSettingsCard } from './settings-cards'

const WorkspaceNotifications = ({ workspace }: { workspace: Workspace }) => {
  const [generation, setGeneration] = useState(0)
  const canManage = isOwnerOrAdmin(workspace.role)
  return (
    <>
      <ChannelsCard workspace={workspace} canManageWebhooks={canManage} onDeliveriesChanged={() => setGeneration((value) => value + 1)} />
      {/* Asked again (remounted) after a test or a channel change. */}
      <DeliveriesCard key={generation} workspace={workspace} />
      <AlertRulesCard workspace={workspace} canManage={canManage} />
      <WorkspaceSettingsCard workspace={workspace} canManage={canManage} />
    </>
  )
}

/** Where alerts go (channels and their delivery log), which rules raise them, and the workspace's hygiene settings. */
export const NotificationsPage = ({ workspace }: { workspace: Workspace | undefined }) => (
  <>
    <div className="page-intro">
      <PageHeading id="notifications-title" title="Notifications" className="page-title" />
      <p className="card__intro">Where alerts reach you, which alerts are raised, and the workspace's key hygiene and lockdown settings.</p>
    </div>
    {workspace === undefined ? <NoWorkspace what="are no notifications to set up" /> : <WorkspaceNotifications key={workspace.id} workspace={workspace} />}
  </>
)

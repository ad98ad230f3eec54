import { Link } from '../../components/link'
import { routePaths, type Route } from '../../lib/router'

type Section = { to: string; label: string; isCurrent: (route: Route) => boolean }

const sections: readonly Section[] = [
  { to: routePaths.securityCenter, label: 'Key health', isCurrent: (route) => route.name === 'securityCenter' },
  { to: routePaths.activity, label: 'Activity', isCurrent: (route) => route.name === 'activity' },
  { to: routePaths.audit, label: 'Audit log', isCurrent: (route) => route.name === 'audit' },
  { to: routePaths.alerts, label: 'Alerts inbox', isCurrent: (route) => route.name === 'alerts' },
  { to: routePaths.notifications, label: 'Notifications', isCurrent: (route) => route.name === 'notifications' },
  { to: routePaths.incidents, label: 'Incidents', isCurrent: (route) => route.name === 'incidents' },
]

/** The pages of the security center, as tabs under the page heading. */
export const SectionNav = ({ route }: { route: Route }) => (
  <nav aria-label="Security center sections" className="mon-tabs">
    <ul className="mon-tabs__list">
      {sections.map((section) => (
        <li key={section.to}>
          <Link to={section.to} className="mon-tabs__link" aria-current={section.isCurrent(route) ? 'page' : undefined}>
            {section.label}
          </Link>
        </li>
      ))}
    </ul>
  </nav>
)

/** True for the pages that show these tabs (the main navigation marks "Security center" for all of them). */
export const isSecurityCenterRoute = (route: Route): boolean => sections.some((section) => section.isCurrent(route))

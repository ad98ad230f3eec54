import { Link } from '../../components/link'
import { routePaths, type Route } from '../../lib/router'

type Section = { to: string; label: string; isCurrent: (route: Route) => boolean }

/**
 * The security center's own two views. Activity, Audit and Alerts have entries in the main
 * navigation, and notification rules live under Settings, so only these two share tabs.
 */
const sections: readonly Section[] = [
  { to: routePaths.securityCenter, label: 'Key health', isCurrent: (route) => route.name === 'securityCenter' },
  { to: routePaths.incidents, label: 'Incidents', isCurrent: (route) => route.name === 'incidents' },
]

/** True for the pages that show these tabs (the main navigation marks "Security center" for both). */
export const isSecurityCenterRoute = (route: Route): boolean => sections.some((section) => section.isCurrent(route))

/** The security center's views, as tabs under the page heading; nothing on the other pages that render it. */
export const SectionNav = ({ route }: { route: Route }) =>
  isSecurityCenterRoute(route) ? (
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
  ) : null

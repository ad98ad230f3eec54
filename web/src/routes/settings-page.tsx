import { useId } from 'react'
import { Link } from '../components/link'
import { PageHeading } from '../components/page-heading'
import { routePaths } from '../lib/router'
import type { ThemeChoice } from '../lib/theme'
import { useTheme } from '../lib/use-theme'

type Destination = { to: string; title: string; description: string }

const destinations: readonly Destination[] = [
  {
    to: routePaths.security,
    title: 'Account security',
    description: 'Password, two-factor, passkeys, recovery codes, anti-phishing code, sessions and devices.',
  },
  {
    to: routePaths.tokens,
    title: 'API tokens',
    description: 'Tokens for scripts and the command line, each limited to a workspace and a set of actions.',
  },
  {
    to: routePaths.notifications,
    title: 'Notifications and alert rules',
    description: 'Where alerts go (email, Telegram, webhook) and which events raise them.',
  },
  {
    to: routePaths.policies,
    title: 'Workspace policies',
    description: 'Two-factor and passkeys for members, idle sign-out, allowed IP ranges, key rotation, four-eyes approvals.',
  },
]

/** A card that is one link: the whole card is the click target (CSS), the title is the link's name. */
const DestinationCard = ({ destination }: { destination: Destination }) => {
  const descriptionId = useId()
  return (
    <li className="card settings-card">
      <Link to={destination.to} className="settings-card__link" aria-describedby={descriptionId}>
        {destination.title}
      </Link>
      <p id={descriptionId} className="settings-card__text">
        {destination.description}
      </p>
    </li>
  )
}

const themeChoices: readonly { value: ThemeChoice; label: string }[] = [
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
  { value: 'system', label: 'Match the system' },
]

/** Light, dark or the system's: saved in this browser, like the header's toggle (which shows the same choice). */
const AppearanceCard = () => {
  const { choice, chooseTheme } = useTheme()
  const name = useId()
  return (
    <section className="card" aria-labelledby="appearance-title">
      <h3 id="appearance-title" className="card__title">
        Appearance
      </h3>
      <p className="card__intro">Saved in this browser. “Match the system” follows your device’s light or dark setting, also when it changes.</p>
      <fieldset className="choices theme-choices" aria-label="Theme">
        {themeChoices.map((option) => (
          <label key={option.value} className="choice theme-choice">
            <input type="radio" name={name} value={option.value} checked={choice === option.value} onChange={() => chooseTheme(option.value)} />
            {option.label}
          </label>
        ))}
      </fieldset>
    </section>
  )
}

/** The settings hub: the account's security, API tokens, notifications, the workspace's policies, and the dashboard's look. */
export const SettingsPage = () => (
  <div className="stack">
    <div className="page-intro">
      <PageHeading id="settings-title" title="Settings" className="page-title" />
      <p className="card__intro">Your account's protection, access for scripts, who hears about what, the workspace's rules, and how this dashboard looks.</p>
    </div>
    <ul className="settings-grid" aria-label="Settings pages">
      {destinations.map((destination) => (
        <DestinationCard key={destination.to} destination={destination} />
      ))}
    </ul>
    <AppearanceCard />
  </div>
)

import type { ReactNode } from 'react'

/**
 * A table that scrolls sideways on a narrow screen; focusable so a keyboard can scroll it too.
 * `numeric` lists the columns (by index) whose cells are right-aligned numbers: their headers align
 * with them. `spaced` puts room above it (a table that follows text inside a card). Styled in styles.css,
 * so every page that lazy-loads it finds its styles.
 */
export const DataTable = ({ label, head, numeric = [], spaced = false, children }: { label: string; head: readonly string[]; numeric?: readonly number[]; spaced?: boolean; children: ReactNode }) => (
  <div className={spaced ? 'table-scroll table-scroll--spaced' : 'table-scroll'} role="region" aria-label={label} tabIndex={0}>
    <table className="data-table">
      <caption className="visually-hidden">{label}</caption>
      <thead>
        <tr>
          {head.map((title, index) => (
            <th key={`${index}-${title}`} scope="col" className={numeric.includes(index) ? 'num' : undefined}>
              {title === '' ? <span className="visually-hidden">Actions</span> : title}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
)

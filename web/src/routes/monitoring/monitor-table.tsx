import type { ReactNode } from 'react'

/**
 * A table that scrolls sideways on a narrow screen (focusable, so a keyboard can scroll it too).
 * `numeric` lists the columns whose cells are right-aligned numbers. Styled in styles.css, not in the
 * demo chunk's stylesheet, because these pages load without it.
 */
export const MonitorTable = ({ label, head, numeric = [], children }: { label: string; head: readonly string[]; numeric?: readonly number[]; children: ReactNode }) => (
  <div className="mon-table-scroll" role="region" aria-label={label} tabIndex={0}>
    <table className="mon-table">
      <caption className="visually-hidden">{label}</caption>
      <thead>
        <tr>
          {head.map((title, index) => (
            <th key={`${index}-${title}`} scope="col" className={numeric.includes(index) ? 'mon-num' : undefined}>
              {title === '' ? <span className="visually-hidden">Actions</span> : title}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>{children}</tbody>
    </table>
  </div>
)

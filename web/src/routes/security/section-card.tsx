import type { ReactNode } from 'react'

type Props = { id: string; title: string; intro?: ReactNode; children: ReactNode }

/** One part of the Security page: a card with an h3 that names the region. */
export const SectionCard = ({ id, title, intro, children }: Props) => (
  <section className="card" aria-labelledby={`${id}-title`}>
    <h3 id={`${id}-title`} className="card__title">
      {title}
    </h3>
    {intro === undefined ? null : <div className="card__intro">{intro}</div>}
    <div className="stack">{children}</div>
  </section>
)

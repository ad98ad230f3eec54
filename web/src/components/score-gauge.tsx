import { scoreTone, scoreWords } from '../lib/security-score'
import { Skeleton } from './skeleton'
import './score-gauge.css'

const RADIUS = 42
const CIRCUMFERENCE = 2 * Math.PI * RADIUS

type Props = {
  /** 0–100. */
  score: number
  /** 'large' on the security center, 'small' on the overview. */
  size?: 'large' | 'small'
}

/**
 * The security score as a ring filled to the score, the number in the middle and the words beside it.
 * One image to assistive technology ("Security score 60 out of 100"), and the colour is never the only
 * sign: the number and the words say the same. The ring's length is SVG attributes, not a style, so it
 * passes the CSP (style-src 'self').
 */
export const ScoreGauge = ({ score, size = 'large' }: Props) => {
  const clamped = Math.min(100, Math.max(0, Math.round(score)))
  const filled = (CIRCUMFERENCE * clamped) / 100
  return (
    <div className={`score-gauge score-gauge--${size} score-gauge--${scoreTone(clamped)}`}>
      <svg className="score-gauge__ring" viewBox="0 0 100 100" role="img" aria-label={`Security score ${clamped} out of 100`}>
        <circle className="score-gauge__track" cx="50" cy="50" r={RADIUS} />
        <circle
          className="score-gauge__value"
          cx="50"
          cy="50"
          r={RADIUS}
          strokeDasharray={`${filled} ${CIRCUMFERENCE}`}
          transform="rotate(-90 50 50)"
        />
        <text className="score-gauge__number" x="50" y="50" textAnchor="middle" dominantBaseline="central" aria-hidden="true">
          {clamped}
        </text>
      </svg>
      <p className="score-gauge__words">{scoreWords(clamped)}</p>
    </div>
  )
}

/** The gauge's place while the score loads: same size, so nothing moves when it arrives. */
export const ScoreGaugeSkeleton = ({ size = 'large' }: Pick<Props, 'size'>) => (
  <div className={`score-gauge score-gauge--${size} score-gauge--loading`} aria-hidden="true">
    <svg className="score-gauge__ring" viewBox="0 0 100 100">
      <circle className="score-gauge__track" cx="50" cy="50" r={RADIUS} />
    </svg>
    <p className="score-gauge__words">
      <Skeleton width="sm" />
    </p>
  </div>
)

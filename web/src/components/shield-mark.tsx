/** The Bulwark mark: a shield with a check. Decorative: the product name sits beside it. */
export const ShieldMark = ({ className }: { className?: string }) => (
  <svg className={className} viewBox="0 0 32 32" width="32" height="32" aria-hidden="true" focusable="false">
    <path
      className="shield-mark__body"
      d="M16 2.5 4.5 6.8v8.4c0 7 4.9 12.5 11.5 14.3 6.6-1.8 11.5-7.3 11.5-14.3V6.8L16 2.5Z"
      strokeWidth="2"
      strokeLinejoin="round"
    />
    <path
      className="shield-mark__check"
      d="m11 16.2 3.4 3.4 6.6-7"
      fill="none"
      strokeWidth="2.4"
      strokeLinecap="round"
      strokeLinejoin="round"
    />
  </svg>
)

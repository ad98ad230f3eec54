import type { IChartApi, ISeriesApi, SeriesType } from 'lightweight-charts'
import { grabTolerancePx, nearestLine } from '../../lib/price-lines'

/**
 * Draggable price lines on a lightweight-charts chart, which has none of its own. The plot (the
 * chart's box) listens to pointer events itself: the line under the pointer is found with the
 * series' `priceToCoordinate` (hit testing in price-lines.ts), and the pointer's height becomes a
 * price again with `coordinateToPrice`. What the price means is the caller's business (`onDrag`).
 */

export type DragLine = { id: string; price: number; isDraggable: boolean }

type Series = Pick<ISeriesApi<SeriesType>, 'priceToCoordinate' | 'coordinateToPrice'>

export type LineDragDeps = {
  /** The series the lines are on; undefined before the chart exists or after it is removed. */
  series: () => Series | undefined
  /** The lines as they are now (they change while the listeners stay). */
  lines: () => readonly DragLine[]
  onDrag: (id: string, price: number) => void
  /** A drag started (true) or ended (false). */
  onDragging: (isDragging: boolean) => void
}

/** Pointer y inside the chart's box (the price scale's coordinates start at its top). */
const localY = (host: HTMLElement, clientY: number): number => clientY - host.getBoundingClientRect().top

/**
 * Starts listening on `plot` (which holds the chart's `host` element) and returns the function that
 * stops. While the pointer is over a draggable line `plot` has the class
 * "trade-chart__plot--over-line" (the cursor says it can be dragged).
 */
export const attachLineDrag = (plot: HTMLElement, host: HTMLElement, deps: LineDragDeps): (() => void) => {
  let drag: { id: string; pointerId: number } | undefined

  const lineAt = (clientY: number, pointerType: string): string | undefined => {
    const series = deps.series()
    if (series === undefined) return undefined
    const draggable = deps
      .lines()
      .filter((line) => line.isDraggable)
      .map((line) => ({ id: line.id, y: series.priceToCoordinate(line.price) }))
    return nearestLine(draggable, localY(host, clientY), grabTolerancePx(pointerType))
  }

  const onPointerDown = (event: PointerEvent) => {
    if (event.pointerType === 'mouse' && event.button !== 0) return
    const id = lineAt(event.clientY, event.pointerType)
    if (id === undefined) return
    // Ours, not the chart's: no pan, no text selection, and the pointer stays with the line.
    event.preventDefault()
    event.stopPropagation()
    plot.setPointerCapture(event.pointerId)
    drag = { id, pointerId: event.pointerId }
    deps.onDragging(true)
  }
  const onPointerMove = (event: PointerEvent) => {
    if (drag === undefined) {
      plot.classList.toggle('trade-chart__plot--over-line', lineAt(event.clientY, event.pointerType) !== undefined)
      return
    }
    if (drag.pointerId !== event.pointerId) return
    const price = deps.series()?.coordinateToPrice(localY(host, event.clientY))
    if (price !== null && price !== undefined) deps.onDrag(drag.id, price)
  }
  const onPointerEnd = (event: PointerEvent) => {
    if (drag?.pointerId !== event.pointerId) return
    drag = undefined
    deps.onDragging(false)
  }
  // lightweight-charts listens to mouse and touch events, not pointer events: those are stopped on
  // the way down (capture) when they start on a line or belong to a drag.
  const onMouse = (event: MouseEvent) => {
    if (drag !== undefined || (event.type === 'mousedown' && lineAt(event.clientY, 'mouse') !== undefined)) event.stopPropagation()
  }
  const onTouchStart = (event: TouchEvent) => {
    const touch = event.touches[0]
    if (event.touches.length !== 1 || touch === undefined || lineAt(touch.clientY, 'touch') === undefined) return
    // No page scroll while a finger drags a line.
    event.preventDefault()
    event.stopPropagation()
  }
  const onTouchMove = (event: TouchEvent) => {
    if (drag === undefined) return
    event.preventDefault()
    event.stopPropagation()
  }

  const capture = { capture: true, passive: false }
  const listeners = [
    ['pointerdown', onPointerDown, capture],
    ['pointermove', onPointerMove, undefined],
    ['pointerup', onPointerEnd, undefined],
    ['pointercancel', onPointerEnd, undefined],
    ['lostpointercapture', onPointerEnd, undefined],
    ['mousedown', onMouse, capture],
    ['mousemove', onMouse, capture],
    ['touchstart', onTouchStart, capture],
    ['touchmove', onTouchMove, capture],
  ] as const
  for (const [type, listener, options] of listeners) plot.addEventListener(type, listener as EventListener, options)
  return () => {
    for (const [type, listener, options] of listeners) plot.removeEventListener(type, listener as EventListener, options)
  }
}

const GRIP_GAP_PX = 4

export type GripDeps = {
  chart: () => { chart: Pick<IChartApi, 'timeScale'>; series: Series } | undefined
  lines: () => readonly DragLine[]
  grip: (id: string) => HTMLElement | undefined
}

/**
 * Keeps each line's grip (an element over the chart) at its line's height through zoom, scroll,
 * autoscale and new candles: placed every frame, straight on the element, so following the scale
 * costs no React render. Grips of lines off the scale are hidden. Returns the function that stops.
 */
export const followLinesWithGrips = (host: HTMLElement, deps: GripDeps): (() => void) => {
  let frame = 0
  const place = () => {
    const parts = deps.chart()
    if (parts !== undefined) {
      const paneHeight = host.clientHeight - parts.chart.timeScale().height()
      // Lines close together would hide each other's grips: a grip moves right of those it would cover.
      const placed: { y: number; right: number }[] = []
      for (const line of deps.lines()) {
        const grip = deps.grip(line.id)
        if (grip === undefined) continue
        const y = parts.series.priceToCoordinate(line.price)
        const isShown = y !== null && y >= 0 && y <= paneHeight
        // Written only on change: a write here would have the browser lay the page out again every frame.
        if (grip.hidden === isShown) grip.hidden = !isShown
        if (y === null || !isShown) continue
        const x = Math.max(0, ...placed.filter((other) => Math.abs(other.y - y) < grip.offsetHeight).map((other) => other.right + GRIP_GAP_PX))
        placed.push({ y, right: x + grip.offsetWidth })
        grip.style.transform = `translate(${x}px, ${y}px)`
      }
    }
    frame = requestAnimationFrame(place)
  }
  frame = requestAnimationFrame(place)
  return () => cancelAnimationFrame(frame)
}

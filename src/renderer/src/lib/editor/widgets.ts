// What the editor's clickable widgets share.

/** A widget's element that the writer acts on: a labelled button drawn by CSS (it adds no text to the line). */
export function buttonElement(className: string, label: string): HTMLElement {
  const el = document.createElement('span')
  el.className = className
  el.title = label
  el.setAttribute('aria-label', label)
  el.setAttribute('role', 'button')
  return el
}

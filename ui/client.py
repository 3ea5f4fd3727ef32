"""What the page does in the browser on its own, without a rerun: one ``st.components.v2`` element without
markup that sends nothing back (so it never reruns the page), mounted on every page.

- **Formulas scaled to their column.** KaTeX lays a displayed formula out on one line, and its width is only
  known in the browser: a formula wider than its column (a narrow panel on a projector, a phone) is drawn
  smaller until it fits (down to 45 %; one that would need less still scrolls) instead of being cut off. The
  element watches the page (new elements, a resized window).
- **Pause without an error.** plotly.js rejects the promise of an animation that another one interrupts,
  with no reason, and its Play buttons do not catch it: every Pause during a Play printed an uncaught error.
  Such reason-less rejections are marked handled.
"""

from __future__ import annotations

import streamlit as st

MIN_SCALE = 0.45

_JS = """
export default function(component) {
  const quiet = (event) => { if (event.reason === undefined) event.preventDefault(); };
  window.addEventListener('unhandledrejection', quiet);
  const fit = () => {
    for (const box of document.querySelectorAll('.katex-display')) {
      const formula = box.querySelector(':scope > .katex');
      if (!formula) continue;
      formula.style.fontSize = '';
      const need = formula.scrollWidth, have = box.clientWidth;
      if (have > 0 && need > have + 1) {
        formula.style.fontSize = (100 * Math.max(%(min)s, (have - 2) / need)).toFixed(1) + '%%';
      }
    }
  };
  let pending = null;
  const later = () => {
    if (pending === null) pending = requestAnimationFrame(() => { pending = null; fit(); });
  };
  const watcher = new MutationObserver(later);
  watcher.observe(document.body, {childList: true, subtree: true});
  window.addEventListener('resize', later);
  later();
  return () => {
    watcher.disconnect();
    window.removeEventListener('resize', later);
    window.removeEventListener('unhandledrejection', quiet);
  };
}
""" % {"min": MIN_SCALE}

_mount = None


def mount() -> None:
    """Mount the element (``layout.sidebar``, every run)."""
    global _mount
    if _mount is None:
        _mount = st.components.v2.component("optimizer_lab.client", js=_JS)
    _mount(key="client")

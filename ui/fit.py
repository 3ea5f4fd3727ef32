"""Formulas scaled to their column: a displayed formula wider than its column (a narrow panel on a projector, a
phone) is drawn smaller until it fits, instead of being cut off or scrolled sideways.

KaTeX lays a displayed formula out on one line, and its width is only known in the browser. An
``st.components.v2`` element without markup watches the page (new elements, a resized window) and sets each
too-wide formula's font size to the share of its column it may take (down to 45 %; a formula that would need
less still scrolls). It sends nothing back, so it never reruns the page.
"""

from __future__ import annotations

import streamlit as st

MIN_SCALE = 0.45

_JS = """
export default function(component) {
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
  return () => { watcher.disconnect(); window.removeEventListener('resize', later); };
}
""" % {"min": MIN_SCALE}

_mount = None


def formulas() -> None:
    """Mount the watcher (``layout.sidebar``, every run)."""
    global _mount
    if _mount is None:
        _mount = st.components.v2.component("optimizer_lab.fit_formulas", js=_JS)
    _mount(key="fit-formulas")

"""Make sure every page runs inside ``app.py``'s router, even when a fresh server's first visitor follows a link.

Streamlit keeps a compatibility mode for apps with a ``pages/`` folder: until some session has run
``st.navigation``, a request for ``/learning_rate`` runs ``pages/learning_rate.py`` on its own, without
``app.py``, so the sidebar, the presentation switch and the URL sync are missing. A shared link opened
first on a freshly started server would show that broken page (and AppTest, which resets the mode on every
run, would test pages without their router). ``app.py`` marks each run it routes; every page consumes the
mark in ``layout.header``, and a page that finds none switches the compatibility mode off and reruns, and
the rerun goes through ``app.py``.
"""

from __future__ import annotations

import streamlit as st

from . import state

_MARK = "_routed_by_app"


def mark_routed() -> None:
    """Called by ``app.py`` at the start of every run."""
    st.session_state[_MARK] = True


def ensure_routed() -> None:
    """Called at the top of every page run: rerun through ``app.py`` if this run bypassed it."""
    if st.session_state.pop(_MARK, False):
        return
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a Streamlit without the compatibility mode: nothing to fix
        return
    if getattr(PagesManager, "uses_pages_directory", False):
        PagesManager.uses_pages_directory = False
        state.carry_notices()  # the settings this run read from the link stay read: keep what they had to say
        st.rerun()

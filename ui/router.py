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


#: the period of the empty fragment below; any period works, it only has to exist (and to fit the browser's
#: setInterval, at most 24.8 days)
_RECONNECT_PERIOD = 24 * 3600


@st.fragment(run_every=_RECONNECT_PERIOD)
def _reconnect_anchor() -> None:
    """Empty on purpose: see :func:`rerun_after_reconnect`."""


def rerun_after_reconnect() -> None:
    """Make the browser rerun the page after its WebSocket reconnects, so a page whose replica died comes back.

    Behind a proxy with several replicas (``python3 dev.py serve``) a browser whose replica dies reconnects to
    another one, which holds no session for it. Streamlit's frontend requests a script run on a reconnect
    only when the page has a timed fragment (it assumes the server kept the session otherwise), so without
    one the page stays as it was, stale and inert, until the next click. An empty fragment with a period is
    that timed fragment: the reconnected page reruns with its URL, and every setting lives in the URL, so the
    new replica shows the same view. Called by ``app.py`` on every run.
    """
    _reconnect_anchor()

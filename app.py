"""Entry point: the router. Shared sidebar, page registry, URL sync. No math here."""

import streamlit as st

from ui import layout, router, state, threads
from ui.pages import HOME, PAGE_ICON, PAGES, SECTIONS

# a link in presentation mode opens with the sidebar folded: the page's figure gets the whole projector width
st.set_page_config(page_title="Optimizer lab", page_icon=PAGE_ICON, layout="wide",
                   initial_sidebar_state="collapsed" if layout.linked_present() else "auto")

threads.one_blas_thread()
router.mark_routed()
router.rerun_after_reconnect()
state.begin_run()


def _page(info, default=False):
    return st.Page(info.path, title=info.title, icon=info.icon, url_path=info.url_path, default=default)


navigation = st.navigation(
    {"": [_page(HOME, default=True)]}
    | {section: [_page(p) for p in PAGES if p.section == section] for section in SECTIONS}
)
layout.sidebar()
notices = st.container()
navigation.run()
layout.show_notices(notices)
state.sync_url()

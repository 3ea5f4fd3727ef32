"""Home: what every page is for, in a picture and two lines each."""

import streamlit as st

from ui import layout
from ui.pages import PAGES, SECTIONS

layout.header("Optimizer lab", "How neural networks are trained, one step at a time: pick a page.")
per_row = 2 if layout.theme().present else 3
for section in SECTIONS:
    st.subheader(section)
    pages = [p for p in PAGES if p.section == section]
    for start in range(0, len(pages), per_row):
        for col, page in zip(st.columns(per_row), pages[start : start + per_row]):
            with col.container(border=True, key=f"card-{page.url_path}"):
                if page.thumbnail_path:
                    st.image(str(page.thumbnail_path), width="stretch")
                st.page_link(page.path, label=f"**{page.title}**", icon=page.icon)
                st.caption(page.summary.replace("\n", "  \n"))

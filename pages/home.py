"""Home: what every page is for, in a picture and two lines each."""

import streamlit as st

from ui import layout
from ui.pages import PAGES, SECTIONS

layout.header("Optimizer lab", "How neural networks are trained, one step at a time: pick a page.")
# each card a link as a whole (its title's link stretched over it), the cards of a row equally high
st.html("""<style>
[data-testid="stColumn"]:has([class*="st-key-card-"]) > [data-testid="stVerticalBlock"],
[data-testid="stLayoutWrapper"]:has(> [class*="st-key-card-"]) { height: 100%; }
[class*="st-key-card-"] { height: 100%; position: relative; }
[class*="st-key-card-"]:hover { border-color: #0072B2; }
[class*="st-key-card-"] [data-testid="stElementContainer"]:has([data-testid="stPageLink"]),
[class*="st-key-card-"] [data-testid="stPageLink"], [class*="st-key-card-"] [data-testid="stPageLink"] * {
  position: static !important; }
[class*="st-key-card-"] [data-testid="stPageLink"] a::after { content: ""; position: absolute; inset: 0; z-index: 1; }
</style>""")
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

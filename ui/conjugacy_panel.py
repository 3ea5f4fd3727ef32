"""The playground's note on conjugate gradients and BFGS on a quadratic: why both finish in n steps, drawn beside
steepest descent with the same exact line search (``optim.conjugacy``)."""

from __future__ import annotations

import streamlit as st

import optim
from optim.conjugacy import has_minimum_in_n_steps, quadratic_steps
from optim.tex import tex_matrix
from viz.conjugacy import conjugacy_figure
from viz.style import Theme

from . import layout


def applies(surface, selected) -> bool:
    """On a quadratic with a minimum, with a line-search method chosen."""
    return any(optim.spec(n).needs_objective for n in selected) and has_minimum_in_n_steps(surface)


@st.cache_data(max_entries=32, show_spinner=False)
def _steps(surface_name: str, start: tuple[float, ...]):
    import surfaces

    return quadratic_steps(surfaces.get(surface_name), start)


def show(surface, start: tuple[float, ...], th: Theme) -> None:
    result = _steps(surface.name, start)
    n = result.n
    with st.expander(f"Why conjugate gradients and BFGS finish this quadratic in n = {n} steps"):
        st.markdown(
            f"Here f is a quadratic, $f(w) = \\tfrac12 w^\\top A w + b^\\top w + c$, and every method below uses the "
            "exact line search. Conjugate gradients steps along directions that are **conjugate**, "
            "$d_i^\\top A d_j = 0$: a step removes the error along its direction for good, so after n = "
            f"{n} directions nothing is left. BFGS makes the same steps and learns A from them: its estimate H equals "
            "A⁻¹ once it has seen n steps. Steepest descent takes $d_t = -g_t$; with an exact search each new "
            "direction is at a right angle to the last one, which is conjugate only when A is a multiple of the "
            "identity, so on an elongated bowl it zig-zags.")
        layout.plotly(conjugacy_figure(surface, result, th), key="conjugacy")
        far = [result.distance(traj.positions, n) for traj in (result.cg, result.bfgs)]
        st.markdown(
            f"- Distance to the minimum after {n} steps: conjugate gradients {far[0]:.1e}, BFGS {far[1]:.1e}, "
            f"steepest descent {result.distance(result.steepest, n):.3g} "
            f"(after {len(result.steepest) - 1} steps: {result.distance(result.steepest, -1):.3g}).\n"
            f"- $d_1^\\top A d_0$: conjugate gradients {result.cg_conjugacy:.1e}, steepest descent "
            f"{result.steepest_conjugacy:.3g}.\n"
            f"- BFGS's H after its {n} steps beside A⁻¹ (largest difference "
            f"{result.inverse_error:.1e}):")
        inverse = tex_matrix(result.exact_inverse)
        st.latex(f"H = {tex_matrix(result.inverse_estimate)}, \\qquad A^{{-1}} = {inverse}")

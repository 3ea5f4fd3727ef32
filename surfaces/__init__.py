"""Loss surfaces with analytic gradients and Hessians that broadcast over any batch of points.

    >>> from surfaces import get
    >>> s = get("notes-quadratic")
    >>> float(s.value([2.0])), s.grad([[2.0], [-0.25]]).ravel().tolist()
    (14.0, [9.0, 0.0])
"""

from .base import StationaryPoint, Surface, classify
from .catalog import SURFACES
from .regression import RegressionSurface

__all__ = ["SURFACES", "RegressionSurface", "StationaryPoint", "Surface", "classify", "get", "names"]


def names(dim: int | None = None) -> list[str]:
    """The catalog's surface names, optionally only those of one dimension."""
    return [n for n, s in SURFACES.items() if dim is None or s.dim == dim]


def get(name: str) -> Surface:
    """The surface called ``name``; a ValueError lists the valid names otherwise. A typed function's name
    (``f(x,y)=x^2 + y^2``, see ``surfaces.typed``) gives that function back."""
    if isinstance(name, str) and name.startswith("f(") and name not in SURFACES:
        from .typed import from_name

        return from_name(name)
    try:
        return SURFACES[name]
    except KeyError:
        raise ValueError(f"unknown surface '{name}'; choose one of: {', '.join(SURFACES)}") from None

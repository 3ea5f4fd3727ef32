"""The page registry: one entry per page, used by the router (``app.py``) and the home page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the browser tab's icon, a local file drawn by ``assets/make_favicon.py``: a ``:material/...:`` page icon is
#: fetched from fonts.gstatic.com on every load and fails offline. (The pages' own ``:material/...:`` icons are
#: drawn with the Material Symbols font that Streamlit ships in its static files: no request leaves the server.)
PAGE_ICON = ROOT / "assets" / "favicon.png"


@dataclass(frozen=True)
class PageInfo:
    path: str  #: script, relative to the repository root
    title: str
    icon: str
    section: str  #: navigation group
    summary: str  #: two short lines for the home page

    @property
    def url_path(self) -> str:
        """The file stem: Streamlit resolves a first request against the pages/ folder's file names, so any
        other url_path would greet a shared link with "Page not found"."""
        return Path(self.path).stem

    @property
    def thumbnail_path(self) -> Path | None:
        """The home page's picture of this page, drawn by ``assets/make_thumbnails.py``."""
        p = ROOT / "assets" / "thumbnails" / f"{self.url_path}.png"
        return p if p.exists() else None


HOME = PageInfo("pages/home.py", "Home", ":material/home:", "", "What each page is for.")

PAGES: tuple[PageInfo, ...] = (
    PageInfo("pages/playground.py", "Optimizer playground", ":material/sports_score:", "Optimizers",
             "Nine optimizers race across a loss surface, step by step.\n"
             "Change a learning rate or a start point and watch the paths change."),
    PageInfo("pages/hyperparameter_map.py", "Hyperparameter map", ":material/grid_on:", "Optimizers",
             "Run a whole grid of (learning rate, β) settings at once.\n"
             "See where each one converges, crawls or diverges, and why."),
    PageInfo("pages/learning_rate.py", "Learning rate", ":material/speed:", "Concepts",
             "The notes' gradient-descent tables for 2w² + w + 4, live.\n"
             "Why one step size converges, another oscillates and a third diverges."),
    PageInfo("pages/moving_averages.py", "Moving averages: momentum and bias correction", ":material/show_chart:", "Concepts",
             "An exponential moving average, its weights unrolled and Adam's bias correction.\n"
             "Momentum as an average of gradients against the classic sum."),
    PageInfo("pages/forms.py", "Which form is which", ":material/compare:", "Concepts",
             "Momentum as an average or a sum, ε inside or outside the root, Adam with or without bias correction.\n"
             "Which framework and which of the notes write each form; the notes' typos, recomputed."),
    PageInfo("pages/batch_learning.py", "Batch, mini-batch and online", ":material/dataset:", "Concepts",
             "Epochs, updates and samples read, counted for every batch size.\n"
             "Race batch sizes on real mini-batches of a regression dataset."),
    PageInfo("pages/batch_norm.py", "Batch Normalization", ":material/equalizer:", "Networks",
             "Follow a batch of activations through mean, spread, normalization and rescaling.\n"
             "Test the claim that it allows higher learning rates."),
    PageInfo("pages/lstm.py", "LSTM", ":material/memory:", "Networks",
             "Watch the forget, input and output gates at every time step.\n"
             "See why gradients vanish in a plain RNN and survive in an LSTM."),
    PageInfo("pages/spatial_transformer.py", "Spatial Transformer", ":material/transform:", "Networks",
             "Rotate, scale and shear a digit through a sampling grid.\n"
             "Recover the transformation by gradient descent through the sampler."),
    PageInfo("pages/losses.py", "Loss functions", ":material/functions:", "Building blocks",
             "Thirteen losses against the residual, the margin and the probability, with their slopes.\n"
             "Type targets and predictions and see every loss worked out."),
    PageInfo("pages/activations.py", "Activations", ":material/ssid_chart:", "Building blocks",
             "Eleven activation functions, their derivatives and where the gradient vanishes.\n"
             "Softmax on logits you type."),
    PageInfo("pages/initializers.py", "Initializers", ":material/scatter_plot:", "Building blocks",
             "Where the first weights come from, computed from fan-in and fan-out.\n"
             "Push a batch through 50 layers: which ones vanish, explode or stay put."),
    PageInfo("pages/dropout.py", "Dropout", ":material/grain:", "Building blocks",
             "Keep probability or drop rate, the 1/p scale and a live mask.\n"
             "Training against inference, and why not on the output layer."),
    PageInfo("pages/convolution.py", "Convolution", ":material/filter_center_focus:", "Building blocks",
             "The notes' 3 × 3 input and 2 × 2 filter, forward and backward, every product written out.\n"
             "∂L/∂F and ∂L/∂X with the rotated filter; stride and padding."),
)
SECTIONS = ("Optimizers", "Concepts", "Networks", "Building blocks")

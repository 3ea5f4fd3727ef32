"""The race's player: which iterations get an animation frame, and the Play / Pause / speed buttons and the
step slider under the plots."""

from __future__ import annotations

import numpy as np

from .style import Theme

#: at most this many animation frames; longer runs are sampled evenly (the last iteration always included)
FRAME_CAP = 251
#: at most this many stops on the figure's step slider (each is drawn; Play still shows every frame)
SLIDER_CAP = 101
#: a normal-speed play of the whole run takes about this long, whatever the number of steps
PLAY_SECONDS = 12.0
SPEEDS = {"slow": 3.0, "normal": 1.0, "fast": 1 / 3}


def frames_of(steps: int, cap: int = FRAME_CAP) -> np.ndarray:
    """The iterations t (1 .. steps + 1) that get an animation frame: every one, or every k-th (k as small as the
    cap allows, so the markers move evenly) and always the last."""
    stride = -(-(steps + 1) // cap)
    ts = np.arange(1, steps + 2, stride)
    return ts if ts[-1] == steps + 1 else np.append(ts, steps + 1)


def frame_duration(frames: int, speed: str = "normal") -> int:
    """Milliseconds per frame so that a whole play lasts about PLAY_SECONDS at normal speed."""
    ms = PLAY_SECONDS * 1000.0 / max(frames, 1) * SPEEDS[speed]
    return int(min(max(ms, 15.0), 600.0))


def plot_height(th: Theme) -> int:
    """Pixels of the plots themselves: the race's height without the room above and below them."""
    return th.race.height - th.race.top - th.race.bottom


def add_player(spec: dict, frame_ts: np.ndarray, active: int, th: Theme, T: int) -> None:
    """Play, pause, back-to-start and speed buttons on one row, and a full-width slider over the frames below."""

    def play(speed: str) -> dict:
        return {"frame": {"duration": frame_duration(len(frame_ts), speed), "redraw": False}, "fromcurrent": True,
                "transition": {"duration": 0}, "mode": "immediate"}

    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate", "transition": {"duration": 0}}
    plot_h = plot_height(th)
    below = lambda px: -px / plot_h  # noqa: E731  (paper coordinates of a point px pixels under the plots)
    font = dict(size=th.font)
    spec["layout"]["updatemenus"] = [dict(
        type="buttons", direction="left", x=0.0, y=below(th.race.buttons_below), xanchor="left", yanchor="top",
        showactive=False, pad=dict(t=0, r=8), font=font, bgcolor="#F2F2F2", bordercolor="#888",
        buttons=[dict(label="▶ Play", method="animate", args=[None, play("normal")]),
                 dict(label="❚❚ Pause", method="animate", args=[[None], still]),
                 dict(label="◀◀ Start", method="animate", args=[[str(int(frame_ts[0]))], still])]
        + ([] if th.narrow else [dict(label="▶ slow", method="animate", args=[None, play("slow")]),
                                 dict(label="▶▶ fast", method="animate", args=[None, play("fast")])]),
    )]
    # the slider has a stop at every frame up to SLIDER_CAP stops, then at every k-th (and the last): each stop
    # is drawn with a tick and a label, which cost more to draw than the frames; Play still shows every frame
    stride = -(-len(frame_ts) // SLIDER_CAP)
    stops = list(range(0, len(frame_ts), stride))
    stops += [len(frame_ts) - 1] if stops[-1] != len(frame_ts) - 1 else []
    frame_ts = frame_ts[stops]
    active = int(np.argmin(np.abs(np.asarray(stops) - active)))
    labels = [str(int(t)) if t <= T else f"{T + 1} (after the last step)" for t in frame_ts]
    spec["layout"]["sliders"] = [dict(
        active=active, x=0.0, len=1.0, y=below(th.race.slider_below), xanchor="left", yanchor="top",
        pad=dict(t=0, b=0), ticklen=0, minorticklen=0, font=dict(color="rgba(0,0,0,0)", size=4),
        currentvalue=dict(prefix="iteration t = ", font=dict(size=th.font, color=th.ink), xanchor="left",
                          offset=8),
        bgcolor="#DDDDDD", activebgcolor="#9E9E9E", bordercolor="#888", borderwidth=1,
        transition=dict(duration=0),
        steps=[dict(label=lab, method="animate", args=[[str(int(t))], still]) for t, lab in zip(frame_ts, labels)],
    )]

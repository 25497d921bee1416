"""Figures of a retrieval validation: scatter, histogram of differences, error budget.

Every function returns a :class:`matplotlib.figure.Figure` built without pyplot
(Agg canvas, no display, no global state), so reports and tests can call them
from any thread.  :func:`retrieval_figures` writes the three PNG files a report
embeds.

References
----------
Wunch, D. et al. (2017). Comparisons of the OCO-2 XCO2 measurements with TCCON.
Atmos. Meas. Tech. 10, 2209–2238 (the scatter and difference histograms used here).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geoverify.errors import EvidenceError
from geoverify.model import Result
from geoverify.stats.budget import BudgetComponent, combine

__all__ = [
    "budget_bars",
    "difference_histogram",
    "draw_figures",
    "retrieval_figures",
    "save_png",
    "scatter_retrieved_reference",
]

_DPI = 100


def _figure(width: float = 5.0, height: float = 4.0) -> Figure:
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _labels(frame: pd.DataFrame) -> tuple[str, str]:
    return str(frame.attrs.get("gas", "")), str(frame.attrs.get("unit", ""))


def _check(frame: pd.DataFrame) -> None:
    missing = [c for c in ("retrieved", "reference", "difference") if c not in frame]
    if missing or frame.empty:
        raise EvidenceError(
            "a collocation frame with retrieved, reference and difference is needed",
            hint="Use geoverify.io.collocations.read_collocations.",
        )


def scatter_retrieved_reference(frame: pd.DataFrame) -> Figure:
    """Retrieved against reference values, coloured by station, with the 1:1 line."""
    _check(frame)
    gas, unit = _labels(frame)
    fig = _figure()
    ax = fig.add_subplot()
    stations = frame["station"] if "station" in frame else pd.Series(["all"] * len(frame))
    for name in sorted(stations.astype(str).unique()):
        rows = (stations.astype(str) == name).to_numpy()
        ax.scatter(
            frame["reference"].to_numpy()[rows],
            frame["retrieved"].to_numpy()[rows],
            s=8,
            alpha=0.6,
            label=name,
        )
    both = np.concatenate([frame["reference"].to_numpy(), frame["retrieved"].to_numpy()])
    low, high = float(np.min(both)), float(np.max(both))
    ax.plot([low, high], [low, high], color="black", linewidth=1, label="1:1")
    ax.set_xlabel(f"reference {gas} ({unit})")
    ax.set_ylabel(f"retrieved {gas} ({unit})")
    ax.set_title(f"{gas}: retrieved vs reference (n = {len(frame)})")
    if stations.nunique() <= 12:
        ax.legend(fontsize="small", markerscale=1.5)
    return fig


def difference_histogram(frame: pd.DataFrame, bins: int = 30) -> Figure:
    """Histogram of retrieved − reference, with the mean (bias) and ±1 standard deviation."""
    _check(frame)
    gas, unit = _labels(frame)
    d = frame["difference"].to_numpy(dtype="float64")
    fig = _figure()
    ax = fig.add_subplot()
    ax.hist(d, bins=bins, color="tab:blue", alpha=0.75)
    mean = float(d.mean())
    std = float(d.std(ddof=1)) if d.size > 1 else 0.0
    ax.axvline(mean, color="black", label=f"bias {mean:.3g} {unit}")
    for sign in (-1, 1):
        ax.axvline(
            mean + sign * std,
            color="black",
            linestyle="--",
            label=f"±1σ ({std:.3g} {unit})" if sign > 0 else None,
        )
    ax.set_xlabel(f"retrieved − reference {gas} ({unit})")
    ax.set_ylabel("collocations")
    ax.set_title(f"{gas}: differences (n = {d.size})")
    ax.legend(fontsize="small")
    return fig


def budget_bars(
    components: Sequence[BudgetComponent],
    *,
    observed: float | None = None,
    threshold: float | None = None,
) -> Figure:
    """Horizontal bars of the budget components and the quadrature totals.

    Parameters
    ----------
    components : sequence of BudgetComponent
        The parsed budget (:func:`geoverify.stats.budget.parse_budget`).
    observed : float, optional
        Observed single-sounding precision from the collocations (drawn as a line).
    threshold : float, optional
        The indicator's threshold (drawn as a line).
    """
    totals = combine(components)
    names = [c.name for c in components] + ["random total", "systematic total", "total"]
    values = [c.value for c in components] + [totals.random, totals.systematic, totals.total]
    colours = ["tab:blue" if c.kind == "random" else "tab:orange" for c in components] + [
        "navy",
        "darkorange",
        "grey",
    ]
    fig = _figure(6.0, 0.4 * len(names) + 1.5)
    ax = fig.add_subplot()
    positions = np.arange(len(names))[::-1]
    ax.barh(positions, values, color=colours)
    ax.set_yticks(positions, names)
    if observed is not None:
        ax.axvline(
            observed, color="green", linestyle="-", label=f"observed precision {observed:.3g}"
        )
    if threshold is not None:
        ax.axvline(threshold, color="red", linestyle="--", label=f"threshold {threshold:.3g}")
    if observed is not None or threshold is not None:
        ax.legend(fontsize="small")
    ax.set_xlabel(f"1σ uncertainty ({totals.unit}); blue random, orange systematic")
    ax.set_title("error budget (quadrature sums, GUM)")
    return fig


def save_png(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` as a PNG (parent folders created); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, format="png", metadata={"Software": None})
    return target


def retrieval_figures(
    collocations_frame: pd.DataFrame,
    budget: Sequence[BudgetComponent] | None,
    out_dir: str | Path,
    *,
    threshold: float | None = None,
    prefix: str | None = None,
) -> list[Path]:
    """Write the scatter, histogram and (with a budget) budget bar chart as PNG files.

    Parameters
    ----------
    collocations_frame : pandas.DataFrame
        As returned by :func:`geoverify.io.collocations.read_collocations`.
    budget : sequence of BudgetComponent, optional
        The parsed budget; ``None`` skips the bar chart.
    out_dir : path
        Folder for the files (created).
    threshold : float, optional
        Threshold drawn on the budget chart (in the gas's unit).
    prefix : str, optional
        File-name prefix (default: the gas, lower case).

    Returns
    -------
    list of Path
        The files written, in the order scatter, histogram, budget.
    """
    out = Path(out_dir)
    stem = prefix or str(collocations_frame.attrs.get("gas", "retrieval")).lower()
    paths = []
    for name, make in (
        ("scatter", scatter_retrieved_reference),
        ("differences", difference_histogram),
    ):
        paths.append(save_png(make(collocations_frame), out / f"{stem}_{name}.png"))
    if budget:
        d = collocations_frame["difference"].to_numpy(dtype="float64")
        observed = float(d.std(ddof=1)) if d.size > 1 else None
        fig = budget_bars(budget, observed=observed, threshold=threshold)
        paths.append(save_png(fig, out / f"{stem}_budget.png"))
    return paths


def draw_figures(results: Sequence[Result], out_dir: str | Path) -> None:
    """Draw the figures of every result from its plot data into ``out_dir/figures``.

    The figures' paths, relative to ``out_dir``, go to ``details["figures"]``
    (the HTML report embeds them).  Checks return data; only the report draws.
    """
    out = Path(out_dir)
    for result in results:
        data = result.plots.get("retrieval")
        if data is None:
            continue
        stem = result.indicator.replace(".", "_")
        paths = retrieval_figures(
            data["collocations"], data["budget"], out / "figures", prefix=stem
        )
        result.details["figures"] = [p.relative_to(out).as_posix() for p in paths]

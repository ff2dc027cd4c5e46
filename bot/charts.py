"""PNG charts for polls, ratings/NPS and community health, drawn with matplotlib's Agg backend.

Look: every chart is a solid dark card with rounded corners on a transparent canvas. Discord shows
images on #313338 (dark theme) or #ffffff (light theme); a transparent chart would need text colours
that read on both, and mid-grey text fails contrast on each. A light card is a glaring block in the
dark theme most members use, while a dark card reads as a deliberate card on white. So the card is
#1e1f24 (a shade darker than Discord's dark theme, with a faint border so it stays distinct there),
text is near-white, secondary text a light grey, and the accents are the light tints that keep
contrast on dark. No top/right spines, light horizontal gridlines only where values are read off an
axis, values written on the marks so small numbers (a 30-member community) are shown as counts
beside percentages.

Size: 8 in wide at 100 dpi (800 px), 450 px tall (polls: 300 to 720 px, by the number of options),
which Discord scales down cleanly in its preview. Poll bars sit on a full-width track (100 %), so a
poll without votes shows empty tracks, bare "0" counts and no highlighted leader; callers say
"0 votes" in the subtitle, in the reader's language (this module holds no words of its own).

Runtime: charts are drawn in a child process, never in the bot's. The first chart used to add
~55 MiB to the bot's RSS (matplotlib, numpy, Pillow, font caches), ~79 MiB after many renders, and
CPython never hands that back, while the bot otherwise runs at ~72 MiB; yet charts are rare (a
poll closes, /poll results, a weekly digest). So one worker process
(`ProcessPoolExecutor(max_workers=1)`, "spawn" start method: the bot has threads and an event
loop, which fork would copy half-locked) is started on the first render, concurrent renders queue
on it, and it is shut down after `IDLE_SECONDS` without a render, returning its memory to the OS;
the next render starts a new one (a cold child costs a few hundred ms). A worker that dies
mid-render (BrokenProcessPool) is replaced and the render retried once. The child imports only
this module and `bot.i18n` (no discord: the bot runs as `python -m bot`, whose `__main__` spawn
does not re-import), the drawing functions are module-level, and they take and return plain
data (lists, dates, PNG bytes). matplotlib is imported inside the drawing functions, so importing
this module costs nothing. Drawing uses the object API (`Figure` + `FigureCanvasAgg`: no pyplot,
no global state); each figure is cleared once its PNG is written.

Glyphs: DejaVu Sans (bundled with matplotlib) covers Latin with accents, but not emoji. Instead of
silencing matplotlib's "Glyph missing" warnings (`warnings.catch_warnings` mutates process-global
state and races between threads), text is reduced to the characters the font has before drawing,
so the warning never fires. Mathtext is off for every user-supplied string (`$5` stays `$5`).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from functools import cache, partial
from typing import TYPE_CHECKING

from bot.i18n import babel_locale, format_number

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

    from matplotlib.axes import Axes
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import FancyBboxPatch
    from matplotlib.text import Annotation

__all__ = ["render_bar_chart", "render_distribution", "render_timeseries", "shutdown_charts"]

log = logging.getLogger(__name__)

WIDTH_IN = 8.0
HEIGHT_IN = 4.5
DPI = 100
PAD_IN = 0.32
FONT = "DejaVu Sans"

CARD = "#1e1f24"
BORDER = "#3a3c45"
TEXT = "#f2f3f5"
MUTED = "#a9acb6"
GRID = "#33353d"
TRACK = "#2b2d34"
BAR = "#5d616e"
ACCENT = "#8c9bff"
DETRACTOR = "#f87171"
PASSIVE = "#fbbf24"
PROMOTER = "#34d399"
LINE_COLOURS = ("#8c9bff", "#34d399", "#fbbf24", "#f472b6", "#60a5fa")
BAR_COLOURS = ("#34d399", "#f87171", "#fbbf24", "#60a5fa")
ELLIPSIS = "…"
SEPARATOR = " · "

IDLE_SECONDS = 120.0
"""How long the worker process outlives its last render."""

# Touched only from the event loop's thread.
_pool: ProcessPoolExecutor | None = None
_idle: asyncio.TimerHandle | None = None
_in_flight = 0


async def render_bar_chart(
    title: str,
    labels: Sequence[str],
    counts: Sequence[int],
    locale: str,
    *,
    subtitle: str | None = None,
) -> bytes:
    """Poll results: a horizontal bar per option with its count and share, the leader in colour."""
    _check_lengths(labels, counts)
    return await _off_loop(_draw_bar_chart, title, list(labels), list(counts), locale, subtitle)


async def render_distribution(
    title: str,
    labels: Sequence[str],
    counts: Sequence[int],
    locale: str,
    *,
    subtitle: str | None = None,
) -> bytes:
    """A 1–5 rating or 0–10 NPS distribution as vertical bars (NPS bars coloured by category)."""
    _check_lengths(labels, counts)
    return await _off_loop(_draw_distribution, title, list(labels), list(counts), locale, subtitle)


async def render_timeseries(
    title: str,
    series: Mapping[str, Sequence[tuple[date, float]]],
    locale: str,
    *,
    y_label: str | None = None,
    bars: Mapping[str, Sequence[tuple[date, int]]] | None = None,
    subtitle: str | None = None,
) -> bytes:
    """Lines over time (members, participation, NPS), with optional count bars (joins, leaves).

    A series may be empty, or all of them (a community with no history yet): the axes are still
    drawn and the caller says why in the subtitle."""
    lines = {name: sorted(points) for name, points in series.items()}
    columns = {name: sorted(points) for name, points in (bars or {}).items()}
    return await _off_loop(_draw_timeseries, title, lines, columns, locale, y_label, subtitle)


# --- text helpers (pure, tested directly) -------------------------------------------------------


def share_text(count: int, total: int, locale: str) -> str:
    """The count's share of the total, the locale's way ("33 %" in French); "" with no votes."""
    if total <= 0:
        return ""
    from babel.numbers import format_percent

    return format_percent(count / total, locale=babel_locale(locale))


def value_text(count: int, total: int, locale: str) -> str:
    """A count beside its share ("12 · 40 %"), or the bare count when nobody answered."""
    share = share_text(count, total, locale)
    number = format_number(count, locale)
    return f"{number}{SEPARATOR}{share}" if share else number


def drawable(text: str) -> str:
    """The text reduced to glyphs the chart font has: emoji and other symbols are dropped."""
    covered = _covered_codepoints()
    kept: list[str] = []
    missing = False
    for char in unicodedata.normalize("NFC", text):
        if char.isspace():
            kept.append(" ")
        elif ord(char) in covered:
            kept.append(char)
        else:
            missing = True
    result = " ".join("".join(kept).split())
    if not result and missing:
        return "\u25a1"  # a label made only of emoji still needs to show something
    return result


def wrap(text: str, fits: Callable[[str], bool], max_lines: int) -> list[str]:
    """Word wrap into at most `max_lines` lines that fit; the last one ends in "…" if cut."""
    words = text.split()
    lines: list[str] = []
    joiner = " "  # how the rest continues the last line: "" after a word broken in two
    while words and len(lines) < max_lines:
        count = _longest(len(words), partial(_prefix_fits, fits, words, " "))
        if count:
            lines.append(" ".join(words[:count]))
            words = words[count:]
            joiner = " "
            continue
        word = words[0]  # a single word wider than the line: break it
        cut = max(1, _longest(len(word), partial(_prefix_fits, fits, word, "")))
        lines.append(word[:cut])
        words[0] = word[cut:]
        joiner = ""
    if not words:
        return lines
    full = lines[-1] + joiner + " ".join(words)
    size = _longest(len(full), lambda n: fits(full[:n] + ELLIPSIS))
    last = full[:size]
    head, space, _ = last.rpartition(" ")
    if full[size] != " " and space and len(head) * 2 >= len(last):
        last = head  # end on a whole word when that keeps most of the line
    lines[-1] = last.rstrip() + ELLIPSIS
    return lines


def _prefix_fits(fits: Callable[[str], bool], parts: Sequence[str], sep: str, n: int) -> bool:
    return fits(sep.join(parts[:n]))


def _longest(upper: int, ok: Callable[[int], bool]) -> int:
    """The largest n in 0..upper with ok(n), for ok true up to some n and false after."""
    low, high = 0, upper
    while low < high:
        middle = (low + high + 1) // 2
        if ok(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _check_lengths(labels: Sequence[str], counts: Sequence[int]) -> None:
    if len(labels) != len(counts):
        raise ValueError(f"{len(labels)} labels for {len(counts)} counts")


@cache
def _covered_codepoints() -> frozenset[int]:
    from matplotlib import font_manager, ft2font

    path = font_manager.findfont(font_manager.FontProperties(family=FONT))
    return frozenset(ft2font.FT2Font(path).get_charmap())


# --- figure scaffolding -------------------------------------------------------------------------


async def _off_loop(draw: Callable[..., Figure], *args: object) -> bytes:
    """Render in the charts process: one worker, so one set of font caches and one figure at once.

    A worker that died (BrokenProcessPool) is replaced and the render retried once."""
    from concurrent.futures.process import BrokenProcessPool  # only once charts are drawn

    global _in_flight
    loop = asyncio.get_running_loop()
    job = partial(_render, draw, *args)
    _in_flight += 1
    _cancel_idle()
    try:
        pool = _get_pool()
        try:
            return await loop.run_in_executor(pool, job)
        except BrokenProcessPool:
            log.warning("the charts process died; retrying in a new one")
            _discard(pool)
        return await loop.run_in_executor(_get_pool(), job)
    finally:
        _in_flight -= 1
        if _in_flight == 0:
            _arm_idle(loop)


async def shutdown_charts() -> None:
    """Stop the charts process, if any (the bot's close); queued renders are cancelled."""
    global _pool
    _cancel_idle()
    pool, _pool = _pool, None
    if pool is not None:
        await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


def _get_pool() -> ProcessPoolExecutor:
    import multiprocessing  # imported with the first chart: ~1 MiB the bot needs only then
    from concurrent.futures import ProcessPoolExecutor

    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return _pool


def _discard(pool: ProcessPoolExecutor) -> None:
    """Drop a pool (broken or idle): its worker exits, and is reaped, in the background."""
    global _pool
    if _pool is pool:
        _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


def _cancel_idle() -> None:
    global _idle
    if _idle is not None:
        _idle.cancel()
        _idle = None


def _arm_idle(loop: asyncio.AbstractEventLoop) -> None:
    global _idle
    _cancel_idle()
    if _pool is not None and not loop.is_closed():
        _idle = loop.call_later(IDLE_SECONDS, _retire)


def _retire() -> None:
    """Idle for IDLE_SECONDS: stop the worker so its memory goes back to the OS."""
    global _idle
    _idle = None
    if _pool is not None and _in_flight == 0:
        _discard(_pool)


def _render(draw: Callable[..., Figure], *args: object) -> bytes:
    figure = draw(*args)
    try:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, facecolor="none", metadata={"Software": None})
        return buffer.getvalue()
    finally:
        figure.clear()


class _Page:
    """A figure with its card, a text measurer, and a cursor (inches from the top) for layout."""

    def __init__(self, height: float) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from matplotlib.patches import FancyBboxPatch

        self.height = height
        self.figure = Figure(figsize=(WIDTH_IN, height), dpi=DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        self.figure.patch.set_alpha(0)
        card = FancyBboxPatch(
            (0.01, 0.01),
            WIDTH_IN - 0.02,
            height - 0.02,
            boxstyle="round,pad=0,rounding_size=0.16",
            transform=self.figure.dpi_scale_trans,
            facecolor=CARD,
            edgecolor=BORDER,
            linewidth=1.0,
            zorder=-10,
        )
        self.figure.add_artist(card)
        self.renderer: RendererAgg = self.canvas.get_renderer()
        self.top = PAD_IN

    def width_in(self, text: str, font: FontProperties) -> float:
        """How wide the text draws, in inches."""
        width, _, _ = self.renderer.get_text_width_height_descent(text, font, ismath=False)
        return float(width) / DPI

    def lines(self, text: str, font: FontProperties, width: float, max_lines: int) -> list[str]:
        """The text wrapped to the width (inches)."""
        return wrap(drawable(text), lambda s: self.width_in(s, font) <= width, max_lines)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        font: FontProperties,
        colour: str,
        *,
        ha: str = "left",
        va: str = "top",
    ) -> None:
        """Draw text at (x, y) inches from the top-left corner of the card."""
        self.figure.text(
            x / WIDTH_IN,
            1 - y / self.height,
            text,
            fontproperties=font,
            color=colour,
            parse_math=False,
            ha=ha,
            va=va,
        )

    def header(self, title: str, subtitle: str | None) -> None:
        """Title (up to two lines) and an optional muted subtitle, advancing the cursor."""
        width = WIDTH_IN - 2 * PAD_IN
        title_font = _font(15, "bold")
        for line in self.lines(title, title_font, width, 2):
            self.text(PAD_IN, self.top, line, title_font, TEXT)
            self.top += 0.29
        if subtitle:
            sub_font = _font(11)
            self.top += 0.03
            for line in self.lines(subtitle, sub_font, width, 2):
                self.text(PAD_IN, self.top, line, sub_font, MUTED)
                self.top += 0.22
        self.top += 0.16

    def axes(self, top: float, bottom: float, left: float, right: float) -> Axes:
        """Clean axes between the given inch offsets (from the card's top, bottom, left, right)."""
        ax = self.figure.add_axes(
            (
                left / WIDTH_IN,
                bottom / self.height,
                (WIDTH_IN - left - right) / WIDTH_IN,
                (self.height - top - bottom) / self.height,
            )
        )
        ax.set_facecolor("none")
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_color(GRID)
        ax.tick_params(colors=MUTED, labelcolor=MUTED, labelsize=10, length=0, pad=6)
        return ax


def _font(size: float, weight: str = "normal") -> FontProperties:
    from matplotlib.font_manager import FontProperties

    return FontProperties(family=FONT, size=size, weight=weight)


# --- poll results -------------------------------------------------------------------------------


def _draw_bar_chart(
    title: str, labels: list[str], counts: list[int], locale: str, subtitle: str | None
) -> Figure:
    total = sum(counts)
    leader = max(counts, default=0)
    compact = len(labels) > 6
    label_font = _font(10.5 if compact else 11.5)
    line_h, bar_h, gap = (0.2, 0.13, 0.15) if compact else (0.23, 0.17, 0.2)
    inner = WIDTH_IN - 2 * PAD_IN

    # Lay out on a scratch page first: wrapping needs a renderer, the height depends on wrapping.
    scratch = _Page(HEIGHT_IN)
    scratch.header(title, subtitle)
    wrapped = [scratch.lines(label, label_font, inner, 1 if compact else 2) for label in labels]
    rows = [len(lines) * line_h + 0.05 + bar_h for lines in wrapped]
    natural = scratch.top + sum(rows) + gap * max(len(rows) - 1, 0) + PAD_IN
    height = min(max(natural, 3.0), 7.2)
    scratch.figure.clear()

    page = _Page(height)
    page.header(title, subtitle)
    spare = height - natural
    gap += min(max(spare, 0) / max(len(rows), 1), gap * 1.5)
    value_col = 1.15
    bar_width = inner - value_col
    value_font = _font(11, "bold")
    y = page.top
    for lines, count in zip(wrapped, counts, strict=True):
        leading = total > 0 and count == leader
        weight = "bold" if leading else "normal"
        font = _font(label_font.get_size_in_points(), weight)
        for line in lines:
            page.text(PAD_IN, y, line, font, TEXT)
            y += line_h
        y += 0.05
        page.figure.add_artist(_bar(page, PAD_IN, y, bar_width, bar_h, TRACK))
        if count and total:
            colour = ACCENT if leading else BAR
            fill = max(bar_width * count / total, bar_h)  # a vote never draws thinner than round
            page.figure.add_artist(_bar(page, PAD_IN, y, fill, bar_h, colour))
        page.text(
            WIDTH_IN - PAD_IN,
            y + bar_h / 2,
            value_text(count, total, locale),
            value_font if leading else _font(11),
            TEXT if leading else MUTED,
            ha="right",
            va="center_baseline",
        )
        y += bar_h + gap
    return page.figure


def _bar(
    page: _Page, x: float, top: float, width: float, height: float, colour: str
) -> FancyBboxPatch:
    from matplotlib.patches import FancyBboxPatch

    return FancyBboxPatch(
        (x, page.height - top - height),
        width,
        height,
        boxstyle=f"round,pad=0,rounding_size={height / 2}",
        transform=page.figure.dpi_scale_trans,
        facecolor=colour,
        edgecolor="none",
    )


# --- rating and NPS distributions ---------------------------------------------------------------


def _nps_colour(score: int) -> str:
    if score <= 6:
        return DETRACTOR
    return PASSIVE if score <= 8 else PROMOTER


def _draw_distribution(
    title: str, labels: list[str], counts: list[int], locale: str, subtitle: str | None
) -> Figure:
    page = _Page(HEIGHT_IN)
    page.header(title, subtitle)
    ax = page.axes(top=page.top, bottom=0.55, left=PAD_IN, right=PAD_IN)
    total = sum(counts)
    is_nps = [label.strip() for label in labels] == [str(score) for score in range(11)]
    colours = [_nps_colour(i) if is_nps else ACCENT for i in range(len(labels))]
    positions = list(range(len(labels)))
    ax.bar(positions, counts, width=0.68, color=colours, zorder=2)
    top = max(counts, default=0)
    ax.set_ylim(0, top * 1.32 if top else 1)
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.yaxis.set_visible(False)
    ax.spines["left"].set_visible(False)
    ax.set_xticks(
        positions,
        [drawable(label) for label in labels],
        color=TEXT,
        fontproperties=_font(12 if len(labels) <= 6 else 11),
        parse_math=False,
    )
    small = len(labels) > 6
    for x, count in zip(positions, counts, strict=True):
        share = share_text(count, total, locale)
        ax.annotate(
            format_number(count, locale),
            (x, count),
            xytext=(0, 20 if share else 5),
            textcoords="offset points",
            ha="center",
            va="bottom",
            color=TEXT,
            fontproperties=_font(11 if small else 12, "bold"),
        )
        if share:
            ax.annotate(
                share,
                (x, count),
                xytext=(0, 5),
                textcoords="offset points",
                ha="center",
                va="bottom",
                color=MUTED,
                fontproperties=_font(9 if small else 10),
            )
    return page.figure


# --- time series --------------------------------------------------------------------------------


def _draw_timeseries(
    title: str,
    series: dict[str, list[tuple[date, float]]],
    bars: dict[str, list[tuple[date, int]]],
    locale: str,
    y_label: str | None,
    subtitle: str | None = None,
) -> Figure:
    page = _Page(HEIGHT_IN)
    page.header(title, subtitle)
    entries = [*series, *bars]
    if len(entries) > 1 or bars:
        _legend(page, series, bars)
    left = 0.85 if y_label else 0.7
    bottom_bars = 1.15 if bars else 0.0
    lines_ax = page.axes(top=page.top, bottom=0.5 + bottom_bars, left=left, right=0.8)
    axes = [lines_ax]
    if bars:
        bars_ax = page.axes(top=page.height - 0.45 - 0.95, bottom=0.45, left=left, right=0.8)
        bars_ax.sharex(lines_ax)
        lines_ax.tick_params(labelbottom=False)
        axes.append(bars_ax)
        _draw_columns(bars_ax, bars, locale)

    if y_label:
        label = lines_ax.set_ylabel(drawable(y_label), color=MUTED, fontproperties=_font(10))
        label.set_parse_math(False)
    every_date = sorted(
        {d for points in series.values() for d, _ in points}
        | {d for points in bars.values() for d, _ in points}
    )
    ends = [
        _draw_line(lines_ax, points, LINE_COLOURS[index % len(LINE_COLOURS)], locale)
        for index, (_, points) in enumerate(series.items())
    ]
    lines_ax.margins(y=0.15)
    lines_ax.grid(axis="y", color=GRID, linewidth=0.8, zorder=0)
    lines_ax.spines["left"].set_visible(False)
    if any(series.values()):
        _number_axis(lines_ax, locale, integer=_all_integral(series))
    else:  # nothing to read off the axis: no made-up scale around zero
        lines_ax.set_ylim(0, 1)
        lines_ax.set_yticks([])
    _date_axis(axes[-1], every_date, locale)
    _separate(lines_ax, [end for end in ends if end is not None])
    return page.figure


def _legend(page: _Page, series: Mapping[str, object], bars: Mapping[str, object]) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Line2D | Patch] = [
        Line2D([], [], color=LINE_COLOURS[i % len(LINE_COLOURS)], marker="o", markersize=5)
        for i in range(len(series))
    ]
    handles += [Patch(color=BAR_COLOURS[i % len(BAR_COLOURS)]) for i in range(len(bars))]
    names = [drawable(name) for name in [*series, *bars]]
    legend = page.figure.legend(
        handles,
        names,
        loc="upper left",
        bbox_to_anchor=(PAD_IN / WIDTH_IN, 1 - (page.top - 0.08) / page.height),
        ncols=min(len(names), 4),
        frameon=False,
        prop=_font(10),
        labelcolor=TEXT,
        handlelength=1.6,
        columnspacing=1.4,
        borderaxespad=0,
        borderpad=0,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)
    page.top += 0.32


def _draw_line(
    ax: Axes, points: list[tuple[date, float]], colour: str, locale: str
) -> Annotation | None:
    """The line, and its last value written at its end (returned, to keep labels apart)."""
    from matplotlib.dates import date2num

    if not points:
        return None
    days, ys = _with_gaps(points)
    xs = [float(date2num(day)) for day in days]
    few = len(points) <= 45
    ax.plot(
        xs,
        ys,
        color=colour,
        linewidth=2.2,
        marker="o" if few else None,
        markersize=7 if len(points) == 1 else 4.5,
        markeredgecolor=CARD,
        markeredgewidth=1.2 if len(points) > 1 else 0,
        solid_capstyle="round",
        zorder=3,
    )
    last_day, last_value = points[-1]
    return ax.annotate(
        _short_number(last_value, locale),
        (float(date2num(last_day)), last_value),
        xytext=(8, 0),
        textcoords="offset points",
        va="center",
        color=colour,
        fontproperties=_font(10.5, "bold"),
        annotation_clip=False,
    )


def _separate(ax: Axes, labels: list[Annotation], gap_pt: float = 13.0) -> None:
    """End-of-line values closer than a line of text (two lines ending near each other) are
    pushed apart vertically, around where they were, so both stay readable."""
    if len(labels) < 2:
        return
    ax.get_ylim()  # settle the autoscaled limits before reading positions
    to_pt = 72 / DPI
    at = sorted((float(ax.transData.transform(a.xy)[1]) * to_pt, a) for a in labels)
    wanted = [y for y, _ in at]
    for index in range(1, len(wanted)):
        wanted[index] = max(wanted[index], wanted[index - 1] + gap_pt)
    shift = (sum(wanted) - sum(y for y, _ in at)) / len(at)
    for (y, label), target in zip(at, wanted, strict=True):
        label.xyann = (8, target - shift - y)


def _with_gaps(points: list[tuple[date, float]]) -> tuple[list[date], list[float]]:
    """Break the line where days are missing, rather than draw a line across them."""
    steps = [(b[0] - a[0]).days for a, b in itertools.pairwise(points)]
    usual = sorted(steps)[len(steps) // 2] if len(steps) >= 2 else None
    xs: list[date] = []
    ys: list[float] = []
    for index, (day, value) in enumerate(points):
        if usual and index and steps[index - 1] > 2 * max(usual, 1):
            xs.append(points[index - 1][0] + timedelta(days=1))
            ys.append(math.nan)
        xs.append(day)
        ys.append(value)
    return xs, ys


def _draw_columns(ax: Axes, bars: Mapping[str, list[tuple[date, int]]], locale: str) -> None:
    from matplotlib.collections import PolyCollection
    from matplotlib.dates import date2num

    days = sorted({d for points in bars.values() for d, _ in points})
    step = min((b - a).days for a, b in itertools.pairwise(days)) if len(days) > 1 else 1
    width = step * 0.8 / max(len(bars), 1)
    for index, points in enumerate(bars.values()):
        # One collection per series: hundreds of separate bar artists would cost ~100 ms.
        left = (index - len(bars) / 2) * width + width * 0.04
        shapes = [
            [(x, 0.0), (x, float(value)), (x + width * 0.92, float(value)), (x + width * 0.92, 0.0)]
            for x, value in ((float(date2num(day)) + left, value) for day, value in points)
        ]
        colour = BAR_COLOURS[index % len(BAR_COLOURS)]
        ax.add_collection(PolyCollection(shapes, facecolors=colour, edgecolors="none", zorder=2))
    ax.grid(axis="y", color=GRID, linewidth=0.8, zorder=0)
    ax.spines["left"].set_visible(False)
    top = max((value for points in bars.values() for _, value in points), default=0)
    ax.set_ylim(0, max(top, 1) * 1.1)
    if days:
        _number_axis(ax, locale, integer=True, bins=2)
    else:
        ax.set_yticks([])


def _number_axis(ax: Axes, locale: str, *, integer: bool, bins: int = 5) -> None:
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(nbins=bins, integer=integer, min_n_ticks=2))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _short_number(v, locale)))


def _date_axis(ax: Axes, days: list[date], locale: str) -> None:
    from babel.dates import format_skeleton
    from matplotlib.dates import AutoDateLocator, date2num, num2date
    from matplotlib.ticker import FixedLocator, FuncFormatter

    if not days:
        ax.set_xticks([])
        return
    first, last = days[0], days[-1]
    span = (last - first).days
    skeleton = "yMMM" if span > 180 else "yMMMd" if first.year != last.year else "MMMd"
    where = babel_locale(locale)
    if len(days) <= 8:
        ax.xaxis.set_major_locator(FixedLocator([float(date2num(day)) for day in days]))
    else:
        ax.xaxis.set_major_locator(AutoDateLocator(minticks=3, maxticks=6))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _: format_skeleton(skeleton, num2date(x).date(), locale=where))
    )
    margin = max(span * 0.03, 0.6)
    ax.set_xlim(float(date2num(first)) - margin, float(date2num(last)) + margin)


def _all_integral(series: Mapping[str, list[tuple[date, float]]]) -> bool:
    return all(float(value).is_integer() for points in series.values() for _, value in points)


def _short_number(value: float, locale: str) -> str:
    return format_number(round(value, 1) + 0.0, locale)  # + 0.0: no "-0"

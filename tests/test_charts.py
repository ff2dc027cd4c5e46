"""Charts: valid PNGs of sensible size for typical and edge inputs, localized, drawn in a child
process that the bot's never shares matplotlib with, retired when idle and replaced when it dies."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import struct
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import date, timedelta

import pytest

from bot import charts
from bot.charts import render_bar_chart, render_distribution, render_timeseries

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2026, 8, 3)


@pytest.fixture(scope="module", autouse=True)
def charts_process() -> Iterator[None]:
    """One charts process for the module (each test has its own loop), stopped at the end."""
    yield
    asyncio.run(charts.shutdown_charts())


def worker_pid() -> int:
    """The pid of the charts process (there is one worker at most)."""
    assert charts._pool is not None
    [pid] = charts._pool._processes
    return pid


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG header, after checking the signature."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def has_colour(data: bytes, colour: str, tolerance: int = 6) -> bool:
    """Whether some pixel of the PNG has (about) this colour."""
    from PIL import Image

    target = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    image = Image.open(io.BytesIO(data)).convert("RGB")
    return any(
        all(abs(channel - want) <= tolerance for channel, want in zip(pixel, target, strict=True))
        for _, pixel in image.getcolors(maxcolors=1 << 20) or []
    )


def test_importing_charts_does_not_import_matplotlib() -> None:
    code = (
        "import sys, bot.charts; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'; "
        "assert 'numpy' not in sys.modules, 'numpy imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "33\u00a0%"), ("en-US", "33%"), ("pt-BR", "33%"), ("da", "33\u00a0%")],
)
def test_share_is_a_locale_percentage(locale: str, expected: str) -> None:
    assert charts.share_text(1, 3, locale) == expected


def test_value_shows_count_beside_share_and_no_share_without_votes() -> None:
    assert charts.value_text(12, 30, "en-US") == "12 · 40%"
    assert charts.value_text(1234, 2468, "fr") == "1\u202f234 · 50\u00a0%"
    assert charts.value_text(0, 0, "fr") == "0"
    assert charts.share_text(0, 0, "en-US") == ""


def test_drawable_drops_glyphs_the_font_lacks() -> None:
    assert charts.drawable("🍕 Pizza  🍍") == "Pizza"
    assert charts.drawable("👍🏽") == "\u25a1"
    assert charts.drawable("Café au lait, açaí, smørrebrød") == "Café au lait, açaí, smørrebrød"
    assert charts.drawable("Cafe\u0301") == "Café"  # decomposed accents are composed
    assert charts.drawable("") == ""


def test_wrap_breaks_words_and_ellipsizes_the_last_line() -> None:
    def fits(text: str) -> bool:
        return len(text) <= 10

    assert charts.wrap("short", fits, 2) == ["short"]
    assert charts.wrap("one two three four", fits, 2) == ["one two", "three four"]
    lines = charts.wrap("one two three four five six", fits, 2)
    assert lines == ["one two", "three…"]
    assert all(fits(line) for line in charts.wrap("a" * 35, fits, 5))


async def test_bar_chart_typical_is_a_discord_sized_png_with_the_leader_highlighted() -> None:
    png = await render_bar_chart(
        "Which colour for the autumn drop?",
        ["Forest green", "Burnt orange", "Navy"],
        [12, 7, 3],
        "en-US",
        subtitle="22 votes",
    )
    width, height = png_size(png)
    assert width == 800
    assert 300 <= height <= 720
    assert has_colour(png, charts.ACCENT)


async def test_bar_chart_without_votes_highlights_nothing() -> None:
    png = await render_bar_chart("Nobody voted", ["Yes", "No"], [0, 0], "en-US")
    assert png_size(png)[0] == 800
    assert not has_colour(png, charts.ACCENT)


async def test_bar_chart_single_option_and_ten_long_options() -> None:
    single = await render_bar_chart("One", ["Only choice"], [5], "da")
    assert png_size(single)[0] == 800
    long_options = [f"Option {i} " + "lorem ipsum dolor sit amet " * 3 for i in range(10)]
    many = await render_bar_chart("T" * 300, [o[:80] for o in long_options], [3] * 10, "pt-BR")
    width, height = png_size(many)
    assert width == 800
    assert 450 < height <= 720  # grows for ten rows, but stays previewable


@pytest.mark.parametrize(
    ("locale", "labels"),
    [
        ("fr", ["Café au lait", "Crème brûlée", "Façade à l'œil"]),
        ("da", ["Rødgrød med fløde", "Æblekage", "Blåbær"]),
        ("pt-BR", ["Açaí", "Pão de queijo", "Coração de galinha"]),
    ],
)
async def test_bar_chart_non_ascii_labels(locale: str, labels: list[str]) -> None:
    png = await render_bar_chart("Préférée ? Yndlings? Favorito?", labels, [2, 1, 1], locale)
    assert png_size(png)[0] == 800


async def test_emoji_and_dollar_signs_neither_crash_nor_warn() -> None:
    # pytest turns warnings into errors: a missing-glyph or mathtext warning would fail here.
    png = await render_bar_chart(
        "Price $5 or $10? 🤔", ["$5 🍕", "$10 🍍🍍", "🎉"], [1, 2, 0], "en-US", subtitle="💬 3"
    )
    assert png_size(png)[0] == 800
    dist = await render_distribution("$ 🌟", ["⭐", "$2", "3", "4", "5"], [0, 1, 2, 3, 4], "fr")
    assert png_size(dist)[0] == 800


def test_labels_and_counts_must_match() -> None:
    with pytest.raises(ValueError, match="2 labels for 3 counts"):
        asyncio.run(render_bar_chart("x", ["a", "b"], [1, 2, 3], "en-US"))


async def test_nps_distribution_is_coloured_by_category() -> None:
    labels = [str(score) for score in range(11)]
    png = await render_distribution(
        "How likely are you to recommend us?",
        labels,
        [1, 0, 0, 1, 2, 3, 2, 6, 9, 14, 10],
        "en-US",
        subtitle="average 7.9 · NPS +35 · 48 answers",
    )
    assert png_size(png) == (800, 450)
    for colour in (charts.DETRACTOR, charts.PASSIVE, charts.PROMOTER):
        assert has_colour(png, colour)


async def test_rating_distribution_uses_one_colour_and_handles_no_answers() -> None:
    rating = await render_distribution("Rate it", ["1", "2", "3", "4", "5"], [1, 0, 3, 12, 9], "da")
    assert png_size(rating) == (800, 450)
    assert has_colour(rating, charts.ACCENT)
    assert not has_colour(rating, charts.PROMOTER)
    empty = await render_distribution("Rate it", ["1", "2", "3", "4", "5"], [0] * 5, "pt-BR")
    assert png_size(empty) == (800, 450)


async def test_timeseries_with_lines_and_bars() -> None:
    days = [START + timedelta(days=7 * week) for week in range(12)]
    png = await render_timeseries(
        "Membres au fil du temps",
        {"Membres": [(day, 180.0 + 6 * i) for i, day in enumerate(days)]},
        "fr",
        y_label="membres",
        bars={
            "Arrivées": [(day, 5 + i % 4) for i, day in enumerate(days)],
            "Départs": [(day, i % 3) for i, day in enumerate(days)],
        },
    )
    assert png_size(png) == (800, 450)
    assert has_colour(png, charts.BAR_COLOURS[0])
    assert has_colour(png, charts.BAR_COLOURS[1])


async def test_timeseries_single_point_and_no_points() -> None:
    single = await render_timeseries(
        "Participation and NPS",
        {"Participation %": [(START, 42.0)], "NPS": [(START, -5.0)]},
        "en-US",
    )
    assert png_size(single) == (800, 450)
    assert has_colour(single, charts.LINE_COLOURS[1])
    one_bar = await render_timeseries(
        "Members", {"Members": [(START, 30.0)]}, "da", bars={"Joined": [(START, 3)]}
    )
    assert png_size(one_bar) == (800, 450)
    nothing = await render_timeseries("Nothing yet", {"Members": []}, "pt-BR")
    assert png_size(nothing) == (800, 450)
    assert png_size(await render_timeseries("Nothing", {}, "en-US")) == (800, 450)


async def test_timeseries_long_history_with_a_gap() -> None:
    points = [(START + timedelta(days=i), 40.0 + i % 7) for i in range(400) if not 100 <= i < 130]
    png = await render_timeseries("A year", {"Participation": points}, "pt-BR", y_label="%")
    assert png_size(png) == (800, 450)


def test_lines_break_across_missing_days() -> None:
    points = [(START + timedelta(days=i), float(i)) for i in (0, 1, 2, 3, 10, 11)]
    days, values = charts._with_gaps(points)
    assert len(days) == len(points) + 1
    assert values[4] != values[4]  # NaN: no line drawn across the week without data
    assert charts._with_gaps(points[:1]) == ([START], [0.0])


async def test_concurrent_renders_are_all_valid() -> None:
    days = [START + timedelta(days=i) for i in range(30)]
    results = await asyncio.gather(
        render_bar_chart("A", ["x", "y"], [1, 2], "fr"),
        render_bar_chart("B", ["x", "y", "z"], [0, 0, 0], "da"),
        render_distribution("C", [str(i) for i in range(11)], list(range(11)), "pt-BR"),
        render_distribution("D", ["1", "2", "3", "4", "5"], [5, 4, 3, 2, 1], "en-US"),
        render_timeseries("E", {"m": [(day, float(i)) for i, day in enumerate(days)]}, "fr"),
    )
    assert len(results) == 5
    for png in results:
        assert png_size(png)[0] == 800
    assert len(set(results)) == 5


def test_rendering_keeps_matplotlib_out_of_the_bot_process_and_discord_out_of_the_child() -> None:
    code = textwrap.dedent(
        """
        import asyncio, sys
        from bot import charts

        async def main():
            png = await charts.render_bar_chart("Poll", ["a", "b"], [1, 2], "en-US")
            assert png.startswith(b"\\x89PNG")
            probe = "sorted(__import__('sys').modules)"
            modules = await asyncio.wrap_future(charts._pool.submit(eval, probe))
            await charts.shutdown_charts()
            return modules

        child = asyncio.run(main())
        assert "matplotlib" in child and "discord" not in child, child
        assert "matplotlib" not in sys.modules, "matplotlib imported"
        assert "numpy" not in sys.modules, "numpy imported"
        assert "discord" not in sys.modules
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


async def test_an_idle_worker_exits_and_the_next_render_starts_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(charts, "IDLE_SECONDS", 0.2)
    await render_bar_chart("Before", ["x"], [1], "en-US")
    pid = worker_pid()
    await render_distribution("Still warm", ["1", "2"], [1, 1], "fr")  # restarts the idle timer
    assert worker_pid() == pid
    for _ in range(100):
        if charts._pool is None and gone(pid):
            break
        await asyncio.sleep(0.05)
    assert charts._pool is None
    assert gone(pid)
    png = await render_bar_chart("After", ["x", "y"], [1, 0], "da")
    assert png_size(png)[0] == 800
    assert worker_pid() != pid


async def test_concurrent_renders_queue_on_one_worker() -> None:
    results = await asyncio.gather(
        *(render_bar_chart(f"Poll {i}", ["x", "y"], [i, 1], "en-US") for i in range(5))
    )
    assert len(set(results)) == 5
    assert charts._pool is not None
    assert len(charts._pool._processes) == 1


async def test_a_worker_killed_mid_render_is_replaced() -> None:
    await render_bar_chart("Warm up", ["x"], [1], "en-US")
    pid = worker_pid()
    points = [(START + timedelta(days=i), float(i % 9)) for i in range(400)]
    pending = asyncio.ensure_future(render_timeseries("Long", {"a": points}, "en-US"))
    await asyncio.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    assert png_size(await pending) == (800, 450)  # retried in a fresh worker
    assert png_size(await render_bar_chart("Next", ["x"], [2], "fr"))[0] == 800
    assert worker_pid() != pid


async def test_a_worker_that_keeps_dying_raises_after_one_retry() -> None:
    with pytest.raises(BrokenProcessPool):
        await charts._off_loop(os._exit, 1)
    assert png_size(await render_bar_chart("Fine", ["x"], [1], "en-US"))[0] == 800

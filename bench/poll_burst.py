"""Poll burst: 1,000 votes from 1,000 members on one poll within 10 seconds.

The issue: "1,000 votes from 1,000 members on one poll within 10 seconds. All must be counted
exactly once. Report the p99 acknowledgement latency and the number of message edits. Live-count
edits must be coalesced: Discord limits edits per channel."

Each run uses a fresh in-process emulator and guild with `--votes` extra members holding the
standard guild's Member role (added before the bot connects, so they come in the member chunks).
OURS runs through the real composition root (``running_bot``, fresh temporary database): the
Member role is set as the community's member role through the config service, ``/setup auto``
creates the rest, and the owner runs ``/poll create`` in the guild's channel: a named poll, single
choice, 4 options, only for the member role (the buttons ``poll:vote:<poll>:<0..3>``). The
BASELINE (bench/baseline_bot.py, no database) gets, at runtime, one dynamic button with the same
custom_id template answering each press with an ephemeral message (no edit), and posts one
message with the 4 buttons.

The burst: `--votes` distinct members each press one option (chosen at random with a fixed seed
per run), each click its own task started at an evenly spaced offset within `--spread` seconds
(the emulator dispatches in the same event loop as the bot). Latency per click: from just before
the emulator serialises INTERACTION_CREATE to the arrival of the bot's callback POST at the
emulator's HTTP layer (as in interaction_roundtrip). Reported per bot: p50/p99/max over the clicks
of a run, medians of `--runs` runs (bots alternating), ours ÷ baseline.

Checked afterwards: no interaction failed (the emulator's 3 s rule), every click was acknowledged
with an ephemeral message (OURS: the "Your vote: **<option>**" text of the option clicked); for
OURS through the services and the table: the counts per option equal the clicks per option and
total exactly `--votes`, `--votes` distinct voters, and each stored vote is the member's own
click; the poll message's live count, once the coalesced edits are flushed, shows those counts
(BASELINE: each click reached its handler once, with its option). Counted for OURS from the
first click until ``PollKit.flush()``: PATCH edits of the poll message (their times, the most in
any 5 s), what the live count needed (uncoalesced: one edit per vote that changed the count; with
``REFRESH_DELAY`` coalescing, the edits the design makes for the actual vote times) and any 429
the emulator answered. Then `--anonymous-runs` runs of OURS alone with the same poll made
anonymous (counts only: per option and total, distinct ballots, no stored voter equal to a
member id).

    python -m bench.poll_burst [--votes 1000] [--spread 10] [--runs 3] [--anonymous-runs 1]
                               [--json F]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import random
import re
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._common import machine, median, percentile, quiet_audioop, ratio, write_json

quiet_audioop()

import discord  # noqa: E402
from aiohttp import web  # noqa: E402
from aiohttp.typedefs import Handler  # noqa: E402
from discord.ext import commands  # noqa: E402

from bench.interaction_roundtrip import StampingEmulator, started  # noqa: E402
from bench.join_burst import reply  # noqa: E402
from bench.session_burst import route  # noqa: E402
from bot.client import VouchBot  # noqa: E402
from bot.i18n import t  # noqa: E402
from cogs.polls._kit import REFRESH_DELAY  # noqa: E402
from cogs.polls._render import option_lines  # noqa: E402
from tests.emulator import StandardGuild  # noqa: E402

JSON = dict[str, Any]
BOTS = ("baseline", "ours")
OPTIONS = ("Red", "Blue", "Green", "Yellow")
QUESTION = "Which colour for the next drop?"
ACK_TIMEOUT = 10.0
SETTLE_TIMEOUT = 15.0
EDIT_WINDOW = 5.0  # seconds: the most edits of the poll message in any window this long


class PollEmulator(StampingEmulator):
    """The stamping emulator, plus the arrival time of every PATCH (edits of messages)."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.patch_at: list[tuple[float, str]] = []

    def _build_app(self) -> web.Application:
        app = super()._build_app()

        @web.middleware
        async def stamp(request: web.Request, handler: Handler) -> web.StreamResponse:
            if request.method == "PATCH":
                self.patch_at.append((time.perf_counter(), request.path))
            return await handler(request)

        app.middlewares.insert(0, stamp)
        return app


@dataclass
class Target:
    """The poll the burst votes on: its message and one custom_id per option."""

    message_id: int
    custom_ids: list[str]
    poll_id: int = 0


# -- the baseline's buttons ------------------------------------------------------------------
class BaselineButtons:
    """One dynamic button per option, answering with an ephemeral message; presses counted."""

    def __init__(self) -> None:
        self.pressed: Counter[tuple[int, int]] = Counter()
        tally = self.pressed

        class Vote(
            discord.ui.DynamicItem[discord.ui.Button[Any]],
            template=r"poll:vote:(?P<poll>\d+):(?P<option>\d+)",
        ):
            def __init__(self, poll_id: int, option: int) -> None:
                super().__init__(
                    discord.ui.Button(
                        label=OPTIONS[option],
                        style=discord.ButtonStyle.primary,
                        custom_id=f"poll:vote:{poll_id}:{option}",
                    )
                )
                self.option = option

            @classmethod
            async def from_custom_id(
                cls,
                interaction: discord.Interaction[Any],
                item: discord.ui.Item[Any],
                match: re.Match[str],
                /,
            ) -> Vote:
                return cls(int(match["poll"]), int(match["option"]))

            async def callback(self, interaction: discord.Interaction[Any]) -> None:
                tally[interaction.user.id, self.option] += 1
                await interaction.response.send_message(
                    f"Your vote: **{OPTIONS[self.option]}**.", ephemeral=True
                )

        self.vote = Vote

    async def post(self, client: commands.Bot, guild: StandardGuild) -> Target:
        """Register the button and post the poll message with 4 buttons (as the bot)."""
        client.add_dynamic_items(self.vote)
        channel = client.get_channel(guild.channel.id)
        assert isinstance(channel, discord.TextChannel)
        view = discord.ui.View(timeout=None)
        for option in range(len(OPTIONS)):
            view.add_item(self.vote(1, option))
        message = await channel.send(QUESTION, view=view)
        return Target(message.id, [f"poll:vote:1:{i}" for i in range(len(OPTIONS))], 1)


# -- our setup -------------------------------------------------------------------------------
async def settle(bot: VouchBot) -> None:
    """Until the bot's commands, clicks and handlers are done and no poll edit waits."""
    deadline = time.perf_counter() + SETTLE_TIMEOUT
    while pending := bot.in_flight():
        await asyncio.wait(pending, timeout=max(0.01, deadline - time.perf_counter()))
        if time.perf_counter() > deadline:
            raise TimeoutError("the bot did not settle")
    runner: Any = bot.get_cog("PollRunner")
    await asyncio.wait_for(runner.kit.flush(), SETTLE_TIMEOUT)


async def prepare_ours(
    emu: PollEmulator, guild: StandardGuild, bot: VouchBot, *, anonymous: bool
) -> Target:
    """Member role, ``/setup auto``, then ``/poll create`` (4 options, member role only)."""
    owner = guild.owner.id
    await bot.services.config.set_role(guild.id, "member", guild.member_role.id)
    await reply(await emu.slash(guild.id, owner, "setup", "auto"))
    created = await emu.slash(
        guild.id,
        owner,
        "poll",
        "create",
        {
            "question": QUESTION,
            "options": "; ".join(OPTIONS),
            "anonymous": anonymous,
            "role": guild.member_role.id,
        },
        channel_id=guild.channel.id,
    )
    answer = await reply(created)
    await settle(bot)
    polls = await bot.services.polls.recent(guild.id)
    if len(polls) != 1 or polls[0].message_id is None:
        raise RuntimeError(f"the poll was not posted: {answer.text()!r}")
    poll = polls[0]
    assert poll.message_id is not None
    message = emu.state.messages[poll.message_id]
    custom_ids = [
        str(child["custom_id"]) for row in message.components for child in row["components"]
    ]
    expected = [f"poll:vote:{poll.id}:{i}" for i in range(len(OPTIONS))]
    if custom_ids != expected:
        raise RuntimeError(f"unexpected buttons {custom_ids}")
    return Target(poll.message_id, custom_ids, poll.id)


# -- one run ---------------------------------------------------------------------------------
@dataclass
class Click:
    """One press of the burst."""

    option: int
    user_id: int
    offset: float
    record: Any = None  # InteractionRecord


@dataclass
class RunResult:
    """One burst against one bot."""

    latency_ms: list[float]
    spread_s: float
    failed: int
    unacked: int
    wrong_ack: int
    edits: int = 0
    edit_offsets_s: list[float] = field(default_factory=list)
    max_edits_in_window: int = 0
    needed_uncoalesced: int = 0
    needed_coalesced: int = 0
    http_429: int = 0
    rest: Counter[str] = field(default_factory=Counter)
    check: JSON = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def stats(self) -> JSON:
        """p50/p99/max (ms) of this run's clicks."""
        values = self.latency_ms or [float("nan")]
        return {
            "n": len(self.latency_ms),
            "p50_ms": percentile(values, 50),
            "p99_ms": percentile(values, 99),
            "max_ms": max(values),
        }


def plan(people: list[int], n_votes: int, spread: float, seed: int) -> list[Click]:
    """Distinct members, a random option each (fixed seed), evenly spaced over `spread` s."""
    rng = random.Random(seed)
    users = list(people)
    rng.shuffle(users)
    return [
        Click(rng.randrange(len(OPTIONS)), user, spread * i / n_votes)
        for i, user in enumerate(users[:n_votes])
    ]


async def fire(emu: PollEmulator, target: Target, clicks: list[Click]) -> None:
    """Every click its own task, started at `start + offset`; returns once all were dispatched."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def press(click: Click) -> None:
        await asyncio.sleep(max(0.0, start + click.offset - loop.time()))
        click.record = await emu.click(
            target.message_id, target.custom_ids[click.option], click.user_id
        )

    await asyncio.gather(*(press(c) for c in clicks))


def coalesced_edits(times: Sequence[float], delay: float) -> int:
    """Edits a coalescer makes for changes at `times`: the first change starts a `delay` pause
    and one edit; changes during the pause ride along; the next change starts the next pause."""
    edits, until = 0, float("-inf")
    for moment in sorted(times):
        if moment > until:
            edits, until = edits + 1, moment + delay
    return edits


def most_in_window(times: Sequence[float], window: float) -> int:
    """The most of `times` within any `window` seconds."""
    ordered, best, low = sorted(times), 0, 0
    for high, moment in enumerate(ordered):
        while moment - ordered[low] > window:
            low += 1
        best = max(best, high - low + 1)
    return best


def expected_text(option: int) -> str:
    """Our acknowledgement of a first vote for `option`."""
    return t("poll.vote.recorded", "en-US", choices=f"**{OPTIONS[option]}**")


def measure(
    emu: PollEmulator, which: str, target: Target, clicks: list[Click], mark: int, patch_mark: int
) -> RunResult:
    """Latencies, failures, acknowledgements, edits and REST calls since the marks."""
    records = [c.record for c in clicks if c.record is not None]
    latency: list[float] = []
    wrong = 0
    acked_at: list[float] = []
    for click in clicks:
        rec = click.record
        if rec is None or rec.id not in emu.callback_at:
            continue
        latency.append((emu.callback_at[rec.id] - emu.sent_at[rec.id]) * 1000)
        acked_at.append(emu.callback_at[rec.id])
        ack = rec.ack
        ok = ack is not None and ack.type == 4 and ack.ephemeral
        if ok and which == "ours":
            ok = (ack.data or {}).get("content") == expected_text(click.option)
        if not ok:
            wrong += 1
    sent = [emu.sent_at[r.id] for r in records]
    first = min(sent)
    calls = emu.calls[mark:]
    edit_path = re.compile(rf"/messages/{target.message_id}$")
    edit_times = [at for at, path in emu.patch_at[patch_mark:] if edit_path.search(path)]
    return RunResult(
        latency_ms=latency,
        spread_s=max(sent) - first,
        failed=sum(1 for r in records if r.failed),
        unacked=len(clicks) - sum(1 for r in records if r.ack is not None),
        wrong_ack=wrong,
        edits=sum(1 for c in calls if c.method == "PATCH" and edit_path.search(c.path)),
        edit_offsets_s=[round(at - first, 3) for at in edit_times],
        max_edits_in_window=most_in_window(edit_times, EDIT_WINDOW),
        # every click of the burst is a member's first vote: each one changes the count
        needed_uncoalesced=len(acked_at) if which == "ours" else 0,
        needed_coalesced=coalesced_edits(acked_at, REFRESH_DELAY) if which == "ours" else 0,
        http_429=sum(1 for c in calls if c.status == 429),
        rest=Counter(route(c.method, c.path) for c in calls),
    )


async def check_ours(
    emu: PollEmulator, bot: VouchBot, guild: StandardGuild, target: Target, clicks: list[Click]
) -> JSON:
    """Counts (and, named, the votes) as stored against the clicks; the live count shown."""
    polls = bot.services.polls
    poll = await polls.get(guild.id, target.poll_id)
    counts = list(await polls.counts(poll))
    clicked = Counter(c.option for c in clicks)
    expected = [clicked[i] for i in range(len(OPTIONS))]
    rows = await bot.services.db.fetch_all(
        "SELECT voter, position FROM poll_vote WHERE poll_id = ?", (poll.id,)
    )
    stored = [(str(r["voter"]), int(r["position"])) for r in rows]
    members = {str(c.user_id) for c in clicks}
    check: JSON = {
        "counts": counts,
        "clicked": expected,
        "total": sum(counts),
        "voters": await polls.voters(poll.id),
        "rows": len(stored),
        "distinct_rows": len(set(stored)),
    }
    if poll.anonymous:
        check["voters_are_member_ids"] = sum(1 for voter, _ in stored if voter in members)
    else:
        check["votes_match_clicks"] = sorted(stored) == sorted(
            (str(c.user_id), c.option) for c in clicks
        )
    discord_guild = bot.get_guild(guild.id)
    assert discord_guild is not None
    locale = await bot.guild_locale(discord_guild)
    shown = emu.state.messages[target.message_id].embeds[0].get("description", "")
    check["live_count_shown"] = "\n".join(option_lines(poll, expected, locale)) in shown
    return check


def check_baseline(buttons: BaselineButtons, clicks: list[Click]) -> JSON:
    """How many presses reached the handler, with the option pressed, and how many twice."""
    wanted = Counter((c.user_id, c.option) for c in clicks)
    return {
        "handled": sum(1 for n in buttons.pressed.values() if n),
        "handled_as_clicked": buttons.pressed == wanted,
        "handled_twice": sum(1 for n in buttons.pressed.values() if n > 1),
    }


async def burst(which: str, n_votes: int, spread: float, seed: int, anonymous: bool) -> RunResult:
    """Fresh emulator, guild (and database); the poll, then the burst."""
    gc.collect()
    with tempfile.TemporaryDirectory(prefix=f"vouch-bench-poll-{which}-") as tmp:
        emu = PollEmulator()
        async with emu:
            guild = emu.make_guild()
            people = emu.populate_members(guild.id, n_votes, role_ids=[guild.member_role.id])
            async with started(which, emu, Path(tmp)) as client:
                assert isinstance(client, commands.Bot)
                bot = client if isinstance(client, VouchBot) else None
                buttons = BaselineButtons()
                if bot is not None:
                    target = await prepare_ours(emu, guild, bot, anonymous=anonymous)
                else:
                    target = await buttons.post(client, guild)
                clicks = plan(people, n_votes, spread, seed)
                mark, patch_mark = emu.mark(), len(emu.patch_at)
                await fire(emu, target, clicks)
                for click in clicks:  # failures are counted below, not raised
                    if click.record is not None:
                        with contextlib.suppress(AssertionError, TimeoutError):
                            await click.record.wait_ack(ACK_TIMEOUT)
                if bot is not None:
                    await settle(bot)  # includes the coalesced live-count edits
                result = measure(emu, which, target, clicks, mark, patch_mark)
                if bot is not None:
                    result.check = await check_ours(emu, bot, guild, target, clicks)
                else:
                    result.check = check_baseline(buttons, clicks)
            result.problems = emu.unexpected_violations() + [
                f"unhandled {c.method} {c.path}" for c in emu.unexpected_unhandled()
            ]
    return result


# -- runs and report -------------------------------------------------------------------------
def verdict(which: str, r: RunResult, n_votes: int) -> list[str]:
    """What is wrong with a run (empty when every click was answered and counted once)."""
    bad = []
    if r.failed or r.unacked:
        bad.append(f"{r.failed} interactions failed (3 s rule), {r.unacked} never acknowledged")
    if r.wrong_ack:
        bad.append(f"{r.wrong_ack} unexpected acknowledgements")
    if len(r.latency_ms) != n_votes:
        bad.append(f"callbacks missing: {len(r.latency_ms)}/{n_votes}")
    if r.http_429:
        bad.append(f"{r.http_429} responses were 429")
    c = r.check
    if which == "ours":
        if c["counts"] != c["clicked"] or c["total"] != n_votes:
            bad.append(f"counts {c['counts']} (total {c['total']}), clicked {c['clicked']}")
        if not (c["voters"] == c["rows"] == c["distinct_rows"] == n_votes):
            bad.append(f"{c['voters']} voters, {c['rows']} rows ({c['distinct_rows']} distinct)")
        if not c.get("votes_match_clicks", True):
            bad.append("stored votes are not exactly the members' clicks")
        if c.get("voters_are_member_ids"):
            bad.append(f"anonymous: {c['voters_are_member_ids']} ballots stored by member id")
        if not c["live_count_shown"]:
            bad.append("the poll message does not show the final counts")
        if r.edits > r.needed_coalesced + 1:
            bad.append(f"{r.edits} edits, the coalescing needs {r.needed_coalesced}")
    else:
        if c["handled"] != n_votes or not c["handled_as_clicked"]:
            bad.append(f"handled {c['handled']} presses (as clicked: {c['handled_as_clicked']})")
        if c["handled_twice"]:
            bad.append(f"{c['handled_twice']} presses handled twice")
    return bad + r.problems


def line(label: str, r: RunResult, bad: list[str]) -> str:
    """One run's figures."""
    s = r.stats()
    extra = (
        f", edits {r.edits} (coalescing needs {r.needed_coalesced}, uncoalesced "
        f"{r.needed_uncoalesced}; most in {EDIT_WINDOW:g} s: {r.max_edits_in_window}), "
        f"429s {r.http_429}"
        if r.needed_uncoalesced
        else ""
    )
    return (
        f"  {label} fired over {r.spread_s:.2f} s: ack p50 {s['p50_ms']:.1f} ms, "
        f"p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms{extra}; "
        f"{'OK' if not bad else 'PROBLEMS'}"
    )


def entry_of(rs: list[RunResult], issues: list[list[str]]) -> JSON:
    """Medians and per-run figures of one bot (or variant)."""
    per_run = [r.stats() for r in rs]
    entry: JSON = {key: median([s[key] for s in per_run]) for key in ("p50_ms", "p99_ms", "max_ms")}
    entry.update(
        runs=per_run,
        spread_s=[r.spread_s for r in rs],
        failed=[r.failed for r in rs],
        unacked=[r.unacked for r in rs],
        http_429=[r.http_429 for r in rs],
        edits=[r.edits for r in rs],
        median_edits=median([r.edits for r in rs]),
        edit_offsets_s=[r.edit_offsets_s for r in rs],
        max_edits_in_window=[r.max_edits_in_window for r in rs],
        needed_coalesced=[r.needed_coalesced for r in rs],
        needed_uncoalesced=[r.needed_uncoalesced for r in rs],
        checks=[r.check for r in rs],
        problems=issues,
        ok=not any(issues),
    )
    return entry


async def run(n_votes: int, spread: float, runs: int, anonymous_runs: int) -> JSON:
    """`runs` rounds, each bot once per round (order alternating); then the anonymous runs."""
    results: dict[str, list[RunResult]] = {name: [] for name in BOTS}
    issues: dict[str, list[list[str]]] = {name: [] for name in BOTS}
    for index in range(runs):
        order = BOTS if index % 2 == 0 else BOTS[::-1]
        for which in order:
            r = await burst(which, n_votes, spread, seed=index, anonymous=False)
            results[which].append(r)
            bad = verdict(which, r, n_votes)
            issues[which].append(bad)
            print(line(f"run {index + 1}/{runs} {which:8s}", r, bad), flush=True)
            for problem in bad:
                print(f"    {problem}")
    anon: list[RunResult] = []
    anon_issues: list[list[str]] = []
    for index in range(anonymous_runs):
        r = await burst("ours", n_votes, spread, seed=100 + index, anonymous=True)
        anon.append(r)
        bad = verdict("ours", r, n_votes)
        anon_issues.append(bad)
        print(line(f"anonymous {index + 1}/{anonymous_runs}", r, bad), flush=True)
        for problem in bad:
            print(f"    {problem}")
    summary = {name: entry_of(results[name], issues[name]) for name in BOTS}
    rest: Counter[str] = Counter()
    for r in results["ours"]:
        rest.update(r.rest)
    clicks = n_votes * len(results["ours"])
    o, b = summary["ours"], summary["baseline"]
    return {
        "machine": machine(),
        "config": {
            "votes": n_votes,
            "options": len(OPTIONS),
            "spread_s": spread,
            "runs": runs,
            "anonymous_runs": anonymous_runs,
            "refresh_delay_s": REFRESH_DELAY,
            "edit_window_s": EDIT_WINDOW,
        },
        **summary,
        "anonymous": entry_of(anon, anon_issues) if anon else None,
        "ours_rest_per_click": sum(rest.values()) / clicks,
        "ours_rest_by_route": {k: v / clicks for k, v in rest.most_common()},
        "ratio": {
            "p50": ratio(o["p50_ms"], b["p50_ms"]),
            "p99": ratio(o["p99_ms"], b["p99_ms"]),
            "max": ratio(o["max_ms"], b["max_ms"]),
        },
    }


def report(result: JSON) -> None:
    """Print the figures."""
    cfg = result["config"]
    print(
        f"\npoll burst: {cfg['votes']} votes (distinct members, {cfg['options']} options, "
        f"single choice) within {cfg['spread_s']:g} s, dispatch -> callback POST arrives; "
        f"medians of {cfg['runs']} runs"
    )
    print(f"{'':10s} {'ours':>10s} {'baseline':>10s} {'ratio':>7s}")
    for key in ("p50_ms", "p99_ms", "max_ms"):
        mine, base = result["ours"][key], result["baseline"][key]
        print(f"{key[:-3]:10s} {mine:8.1f}ms {base:8.1f}ms {ratio(mine, base):6.2f}x")
    ours = result["ours"]
    print(
        f"ours: poll message edits per burst {ours['edits']} (coalescing every "
        f"{cfg['refresh_delay_s']:g} s needs {ours['needed_coalesced']}; uncoalesced "
        f"{ours['needed_uncoalesced']}); most edits in {cfg['edit_window_s']:g} s "
        f"{ours['max_edits_in_window']}; 429s {ours['http_429']}"
    )
    for index, offsets in enumerate(ours["edit_offsets_s"], 1):
        print(f"  run {index}: edits at {', '.join(f'{s:.2f}' for s in offsets)} s")
    print(f"ours: REST calls per click {result['ours_rest_per_click']:.2f}")
    for name, per in result["ours_rest_by_route"].items():
        print(f"  {per:6.3f}  {name}")
    for index, check in enumerate(ours["checks"], 1):
        print(
            f"ours run {index}: counts {check['counts']} (clicked {check['clicked']}), total "
            f"{check['total']}, voters {check['voters']}, rows {check['rows']} (distinct "
            f"{check['distinct_rows']}), votes = clicks {check['votes_match_clicks']}, "
            f"live count shown {check['live_count_shown']}"
        )
    anon = result["anonymous"]
    if anon is not None:
        for index, check in enumerate(anon["checks"], 1):
            stats = anon["runs"][index - 1]
            print(
                f"anonymous run {index}: ack p50 {stats['p50_ms']:.1f} ms, p99 "
                f"{stats['p99_ms']:.1f} ms, max {stats['max_ms']:.1f} ms; edits "
                f"{anon['edits'][index - 1]}; counts {check['counts']} (clicked "
                f"{check['clicked']}), total {check['total']}, ballots {check['rows']} "
                f"(distinct {check['distinct_rows']}, stored by member id "
                f"{check['voters_are_member_ids']}), live count shown {check['live_count_shown']}"
            )
    variants = [(name, result[name]) for name in BOTS]
    if anon is not None:
        variants.append(("anonymous", anon))
    for name, entry in variants:
        state = "every click acknowledged and counted once" if entry["ok"] else "PROBLEMS"
        print(f"{name}: failed {entry['failed']}, unacknowledged {entry['unacked']}: {state}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.poll_burst")
    parser.add_argument("--votes", type=int, default=1000, help="votes (distinct members)")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds the votes spread over")
    parser.add_argument("--runs", type=int, default=3, help="rounds (each bot once per round)")
    parser.add_argument(
        "--anonymous-runs", type=int, default=1, help="runs of ours on an anonymous poll"
    )
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.votes < 1 or args.spread < 0 or args.anonymous_runs < 0:
        parser.error("--runs and --votes must be at least 1, --spread and --anonymous-runs ≥ 0")
    result = asyncio.run(run(args.votes, args.spread, args.runs, args.anonymous_runs))
    report(result)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

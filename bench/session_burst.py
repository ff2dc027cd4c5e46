"""Session burst: 200 RSVP clicks and 200 upvotes within 2 seconds; how fast is each one acked?

Each run uses a fresh in-process emulator and guild with `--rsvps` + `--upvotes` extra members
holding the standard guild's Member role (added before the bot connects, so they come in the
member chunks). OURS runs through the real composition root (``running_bot``, fresh temporary
database): the Member role is set as the community's member role through the config service,
then ``/setup auto`` creates the rest (the announcements channel among it), the owner schedules
one session with ``/session schedule`` (the announcement with its RSVP button is posted) and the
standard guild's regular member asks one question through the form (listed in the
announcement's thread with its Upvote button); the asker does not vote. The BASELINE
(bench/baseline_bot.py, no database) gets, at runtime, two dynamic buttons with the same
custom_id templates (``session:rsvp:<id>``, ``session:upvote:<id>``) answering each press with an
ephemeral message, and posts one message with each button.

The burst: `--rsvps` distinct members press RSVP and `--upvotes` other distinct members press
Upvote, shuffled together, each click its own task started at an evenly spaced offset within
`--spread` seconds (the emulator dispatches in the same event loop as the bot). Latency per click:
from just before the emulator serialises INTERACTION_CREATE to the arrival of the bot's callback
POST at the emulator's HTTP layer (as in interaction_roundtrip). Reported per bot: p50/p99/max
over all clicks of a run (and per button), medians of `--runs` runs (bots alternating), ours ÷
baseline. Checked afterwards: no interaction failed (the emulator's 3 s rule), every click was
acknowledged as expected, and for OURS through the services and the database: exactly `--rsvps`
RSVPs going and exactly `--upvotes` votes on the question, each voter once (BASELINE: each click
reached its handler once). Also counted for OURS: PATCH edits of the announcement (the live
count, coalesced by ``SessionKit.refresh_soon``) and edits of the question message (every upvote
answers with callback type 7, "update the message": one edit per click by design), from the
first click until the coalesced edits are flushed, and the REST calls per click by route.

    python -m bench.session_burst [--rsvps 200] [--upvotes 200] [--spread 2] [--runs 3] [--json F]
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench._common import machine, median, percentile, quiet_audioop, ratio, write_json

quiet_audioop()

import discord  # noqa: E402
from discord.ext import commands  # noqa: E402

from bench.interaction_roundtrip import StampingEmulator, started  # noqa: E402
from bench.join_burst import reply  # noqa: E402
from bot.client import VouchBot  # noqa: E402
from bot.i18n import t  # noqa: E402
from tests.emulator import InteractionRecord, Message, StandardGuild  # noqa: E402

JSON = dict[str, Any]
BOTS = ("baseline", "ours")
KINDS = ("rsvp", "upvote")
ACK_TIMEOUT = 10.0
SETTLE_TIMEOUT = 15.0
UPVOTE_ID = re.compile(r"^session:upvote:(\d+)$")
TOKEN = re.compile(r"/aW50ZXJhY3Rpb24[\w-]+")  # interaction tokens (the emulator's prefix)
IDS = re.compile(r"/\d+")


def route(method: str, path: str) -> str:
    """A call's route with ids and interaction tokens folded: POST /webhooks/{id}/{token}."""
    return f"{method} {IDS.sub('/{id}', TOKEN.sub('/{token}', path))}"


@dataclass
class Target:
    """What the burst presses: the announcement's RSVP button and the question's Upvote."""

    post_id: int
    rsvp_id: str
    question_message_id: int
    upvote_id: str
    session_id: int = 0
    question_id: int = 0


# -- the baseline's buttons ------------------------------------------------------------------
class BaselineButtons:
    """Dynamic buttons answering every press with an ephemeral message; presses are counted."""

    def __init__(self) -> None:
        self.pressed: Counter[tuple[str, int]] = Counter()
        tally = self.pressed

        class Rsvp(
            discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"session:rsvp:(?P<id>\d+)"
        ):
            def __init__(self, item_id: int) -> None:
                super().__init__(
                    discord.ui.Button(label="RSVP", custom_id=f"session:rsvp:{item_id}")
                )

            @classmethod
            async def from_custom_id(
                cls,
                interaction: discord.Interaction[Any],
                item: discord.ui.Item[Any],
                match: re.Match[str],
                /,
            ) -> Rsvp:
                return cls(int(match["id"]))

            async def callback(self, interaction: discord.Interaction[Any]) -> None:
                tally["rsvp", interaction.user.id] += 1
                await interaction.response.send_message("You're going.", ephemeral=True)

        class Upvote(
            discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"session:upvote:(?P<id>\d+)"
        ):
            def __init__(self, item_id: int) -> None:
                super().__init__(
                    discord.ui.Button(label="Upvote", custom_id=f"session:upvote:{item_id}")
                )

            @classmethod
            async def from_custom_id(
                cls,
                interaction: discord.Interaction[Any],
                item: discord.ui.Item[Any],
                match: re.Match[str],
                /,
            ) -> Upvote:
                return cls(int(match["id"]))

            async def callback(self, interaction: discord.Interaction[Any]) -> None:
                tally["upvote", interaction.user.id] += 1
                await interaction.response.send_message("Vote counted.", ephemeral=True)

        self.rsvp, self.upvote = Rsvp, Upvote

    async def post(self, client: commands.Bot, guild: StandardGuild) -> Target:
        """Register the buttons and post one message with each (as the bot)."""
        client.add_dynamic_items(self.rsvp, self.upvote)
        channel = client.get_channel(guild.channel.id)
        assert isinstance(channel, discord.TextChannel)
        rsvp_view = discord.ui.View(timeout=None)
        rsvp_view.add_item(self.rsvp(1))
        post = await channel.send("Ask us anything", view=rsvp_view)
        upvote_view = discord.ui.View(timeout=None)
        upvote_view.add_item(self.upvote(1))
        question = await channel.send("❓ A question", view=upvote_view)
        return Target(post.id, "session:rsvp:1", question.id, "session:upvote:1", 1, 1)


# -- our setup -------------------------------------------------------------------------------
async def settle(bot: VouchBot) -> None:
    """Until the bot's commands, clicks and handlers are done and no announcement edit waits."""
    deadline = time.perf_counter() + SETTLE_TIMEOUT
    while pending := bot.in_flight():
        await asyncio.wait(pending, timeout=max(0.01, deadline - time.perf_counter()))
        if time.perf_counter() > deadline:
            raise TimeoutError("the bot did not settle")
    runner: Any = bot.get_cog("SessionRunner")
    await asyncio.wait_for(runner.kit.flush(), SETTLE_TIMEOUT)


async def prepare_ours(emu: StampingEmulator, guild: StandardGuild, bot: VouchBot) -> Target:
    """Member role, ``/setup auto``, one scheduled session and one question from `regular`."""
    owner = guild.owner.id
    await bot.services.config.set_role(guild.id, "member", guild.member_role.id)
    await reply(await emu.slash(guild.id, owner, "setup", "auto"))
    when = (datetime.now(UTC) + timedelta(days=3)).replace(hour=18, minute=0, second=0)
    scheduled = await emu.slash(
        guild.id,
        owner,
        "session",
        "schedule",
        {"title": "Ask us anything", "when": when.strftime("%Y-%m-%d %H:%M"), "duration": "1h"},
    )
    await reply(scheduled)
    await settle(bot)
    [(session, _)] = await bot.services.sessions.upcoming(guild.id)
    if session.post_message_id is None:
        raise RuntimeError(f"no announcement was posted: {scheduled.text()!r}")
    asker = guild.regular.id
    ask = await emu.click(session.post_message_id, f"session:ask:{session.id}", asker)
    await ask.wait_ack()
    sent = await emu.submit_modal(ask, {"question": "When does the boot come back?"}, asker)
    await reply(sent)
    listed = await emu.wait_for_message(
        predicate=lambda m: m.content.startswith("❓") and bool(m.components), timeout=10.0
    )
    upvote = next(
        str(child["custom_id"])
        for row in listed.components
        for child in row.get("components", [])
        if UPVOTE_ID.match(str(child.get("custom_id", "")))
    )
    await settle(bot)
    question_id = int(upvote.rsplit(":", 1)[1])
    return Target(
        session.post_message_id,
        f"session:rsvp:{session.id}",
        listed.id,
        upvote,
        session.id,
        question_id,
    )


async def counted(bot: VouchBot, guild_id: int, target: Target) -> JSON:
    """What the bot stored: RSVPs going, votes on the question (and their distinct users)."""
    db = bot.services.db
    going = await bot.services.sessions.rsvps(target.session_id, "going")
    waiting = await bot.services.sessions.rsvps(target.session_id, "waitlist")
    rsvp_rows = await db.fetch_all(
        "SELECT user_id FROM session_rsvp WHERE session_id = ?", (target.session_id,)
    )
    vote_rows = await db.fetch_all(
        "SELECT user_id FROM session_question_vote WHERE question_id = ?", (target.question_id,)
    )
    question = await bot.services.questions.get(guild_id, target.question_id)
    return {
        "going": going,
        "waitlist": len(waiting),
        "rsvp_rows": len(rsvp_rows),
        "rsvp_users": {int(r["user_id"]) for r in rsvp_rows},
        "votes": question.votes,
        "vote_rows": len(vote_rows),
        "vote_users": {int(r["user_id"]) for r in vote_rows},
    }


# -- one run ---------------------------------------------------------------------------------
@dataclass
class Click:
    """One press of the burst."""

    kind: str
    user_id: int
    offset: float
    record: InteractionRecord | None = None


@dataclass
class RunResult:
    """One burst against one bot."""

    latency_ms: dict[str, list[float]]
    spread_s: float
    failed: int
    unacked: int
    wrong_ack: int
    announcement_patches: int = 0
    question_edits: int = 0
    rest: Counter[str] = field(default_factory=Counter)
    check: JSON = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def stats(self, kind: str = "all") -> JSON:
        """p50/p99/max (ms) of this run's clicks (of one kind, or all)."""
        values = (
            [v for k in KINDS for v in self.latency_ms[k]]
            if kind == "all"
            else (self.latency_ms[kind])
        )
        return {
            "n": len(values),
            "p50_ms": percentile(values, 50),
            "p99_ms": percentile(values, 99),
            "max_ms": max(values),
        }


def expected_ack(which: str, kind: str, rec: InteractionRecord) -> bool:
    """Ours: RSVP -> ephemeral message (type 4); Upvote -> update the message (type 7) with the
    new count. Baseline: an ephemeral message for both."""
    ack = rec.ack
    if ack is None:
        return False
    if which == "ours" and kind == "upvote":
        return ack.type == 7
    return ack.type == 4 and ack.ephemeral


async def fire(emu: StampingEmulator, target: Target, clicks: list[Click]) -> None:
    """Every click its own task, started at `start + offset`; returns once all were dispatched."""
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def press(click: Click) -> None:
        await asyncio.sleep(max(0.0, start + click.offset - loop.time()))
        if click.kind == "rsvp":
            click.record = await emu.click(target.post_id, target.rsvp_id, click.user_id)
        else:
            click.record = await emu.click(
                target.question_message_id, target.upvote_id, click.user_id
            )

    await asyncio.gather(*(press(c) for c in clicks))


def plan(people: list[int], n_rsvps: int, n_upvotes: int, spread: float, seed: int) -> list[Click]:
    """Distinct members, RSVPs and upvotes shuffled together, evenly spaced over `spread` s."""
    rng = random.Random(seed)
    users = list(people)
    rng.shuffle(users)
    kinds = ["rsvp"] * n_rsvps + ["upvote"] * n_upvotes
    rng.shuffle(kinds)
    total = len(kinds)
    return [
        Click(kind, user, spread * i / total)
        for i, (kind, user) in enumerate(zip(kinds, users, strict=True))
    ]


def measure(
    emu: StampingEmulator, which: str, target: Target, clicks: list[Click], mark: int
) -> RunResult:
    """Latencies, failures, acknowledgements, edits and REST calls since `mark`."""
    records = [c.record for c in clicks if c.record is not None]
    latency: dict[str, list[float]] = {k: [] for k in KINDS}
    wrong = 0
    for click in clicks:
        rec = click.record
        if rec is None or rec.id not in emu.callback_at:
            continue
        latency[click.kind].append((emu.callback_at[rec.id] - emu.sent_at[rec.id]) * 1000)
        if not expected_ack(which, click.kind, rec):
            wrong += 1
    sent = [emu.sent_at[r.id] for r in records]
    calls = emu.calls[mark:]
    post_edit = re.compile(rf"/messages/{target.post_id}$")
    question_edit = re.compile(rf"/messages/{target.question_message_id}$")
    updates = sum(
        1
        for r in records
        if r.source_message_id == target.question_message_id
        and r.ack is not None
        and r.ack.type == 7
    )
    return RunResult(
        latency_ms=latency,
        spread_s=max(sent) - min(sent),
        failed=sum(1 for r in records if r.failed),
        unacked=len(clicks) - sum(1 for r in records if r.ack is not None),
        wrong_ack=wrong,
        announcement_patches=sum(
            1 for c in calls if c.method == "PATCH" and post_edit.search(c.path)
        ),
        question_edits=updates
        + sum(1 for c in calls if c.method == "PATCH" and question_edit.search(c.path)),
        rest=Counter(route(c.method, c.path) for c in calls),
    )


async def check_ours(
    emu: StampingEmulator, bot: VouchBot, guild_id: int, target: Target, clicks: list[Click]
) -> JSON:
    """RSVPs and votes as stored, against the members who pressed; the vote confirmations."""
    stored = await counted(bot, guild_id, target)
    voted = t("session.question.voted", "en-US")
    return {
        "going": len(stored["going"]),
        "going_distinct": len(set(stored["going"])),
        "waitlist": stored["waitlist"],
        "rsvp_rows": stored["rsvp_rows"],
        "rsvp_users_match": stored["rsvp_users"] == {c.user_id for c in clicks if c.kind == "rsvp"},
        "votes": stored["votes"],
        "vote_rows": stored["vote_rows"],
        "vote_users_match": stored["vote_users"]
        == {c.user_id for c in clicks if c.kind == "upvote"},
        "vote_confirmed": sum(
            1
            for c in clicks
            if c.kind == "upvote" and c.record and [m.text() for m in c.record.followups] == [voted]
        ),
        "final_question_shows": final_votes(emu, target),
    }


def check_baseline(buttons: BaselineButtons) -> JSON:
    """How many presses of each kind reached the handlers, and how many twice."""
    pressed = buttons.pressed
    return {
        "rsvp_handled": sum(1 for (kind, _), n in pressed.items() if kind == "rsvp" and n),
        "upvote_handled": sum(1 for (kind, _), n in pressed.items() if kind == "upvote" and n),
        "handled_twice": sum(1 for n in pressed.values() if n > 1),
    }


async def burst(which: str, n_rsvps: int, n_upvotes: int, spread: float, seed: int) -> RunResult:
    """Fresh emulator, guild (and database); the session and question, then the burst."""
    gc.collect()
    with tempfile.TemporaryDirectory(prefix=f"vouch-bench-session-{which}-") as tmp:
        emu = StampingEmulator()
        async with emu:
            guild = emu.make_guild()
            people = emu.populate_members(
                guild.id, n_rsvps + n_upvotes, role_ids=[guild.member_role.id]
            )
            async with started(which, emu, Path(tmp)) as client:
                assert isinstance(client, commands.Bot)
                bot = client if isinstance(client, VouchBot) else None
                buttons = BaselineButtons()
                if bot is not None:
                    target = await prepare_ours(emu, guild, bot)
                else:
                    target = await buttons.post(client, guild)
                clicks = plan(people, n_rsvps, n_upvotes, spread, seed)
                mark = emu.mark()
                await fire(emu, target, clicks)
                for click in clicks:  # failures are counted below, not raised
                    if click.record is None:
                        continue
                    with contextlib.suppress(AssertionError, TimeoutError):
                        await click.record.wait_ack(ACK_TIMEOUT)
                        if bot is not None and click.kind == "upvote":
                            # ours confirms each vote in an ephemeral followup
                            await click.record.wait_followup(1, ACK_TIMEOUT)
                if bot is not None:
                    await settle(bot)  # includes the coalesced announcement edits
                result = measure(emu, which, target, clicks, mark)
                if bot is not None:
                    result.check = await check_ours(emu, bot, guild.id, target, clicks)
                else:
                    result.check = check_baseline(buttons)
            result.problems = emu.unexpected_violations() + [
                f"unhandled {c.method} {c.path}" for c in emu.unexpected_unhandled()
            ]
    return result


def final_votes(emu: StampingEmulator, target: Target) -> str:
    """The Upvote button's label on the question message as members now see it."""
    message: Message | None = emu.state.messages.get(target.question_message_id)
    if message is None:
        return "?"
    for row in message.components:
        for child in row.get("components", []):
            if child.get("custom_id") == target.upvote_id:
                return str(child.get("label"))
    return "?"


# -- runs and report -------------------------------------------------------------------------
def verdict(which: str, r: RunResult, n_rsvps: int, n_upvotes: int) -> list[str]:
    """What is wrong with a run (empty when every click was answered and counted once)."""
    bad = []
    total = n_rsvps + n_upvotes
    if r.failed or r.unacked:
        bad.append(f"{r.failed} interactions failed (3 s rule), {r.unacked} never acknowledged")
    if r.wrong_ack:
        bad.append(f"{r.wrong_ack} unexpected acknowledgements")
    if sum(len(v) for v in r.latency_ms.values()) != total:
        bad.append("callbacks missing")
    c = r.check
    if which == "ours":
        if not (c["going"] == c["going_distinct"] == c["rsvp_rows"] == n_rsvps):
            bad.append(f"RSVPs: {c['going']} going, {c['rsvp_rows']} rows, expected {n_rsvps}")
        if not c["rsvp_users_match"]:
            bad.append("RSVPs are not exactly the members who pressed")
        if not (c["votes"] == c["vote_rows"] == n_upvotes):
            bad.append(f"votes: {c['votes']} counted, {c['vote_rows']} rows, expected {n_upvotes}")
        if not c["vote_users_match"]:
            bad.append("votes are not exactly the members who pressed")
        if c["vote_confirmed"] != n_upvotes:
            bad.append(f"only {c['vote_confirmed']}/{n_upvotes} votes confirmed by followup")
    else:
        if c["rsvp_handled"] != n_rsvps or c["upvote_handled"] != n_upvotes:
            bad.append(f"handled {c['rsvp_handled']} RSVPs, {c['upvote_handled']} upvotes")
        if c["handled_twice"]:
            bad.append(f"{c['handled_twice']} presses handled twice")
    return bad + r.problems


async def run(n_rsvps: int, n_upvotes: int, spread: float, runs: int) -> JSON:
    """`runs` rounds, each bot once per round (order alternating); medians and checks."""
    results: dict[str, list[RunResult]] = {name: [] for name in BOTS}
    issues: dict[str, list[list[str]]] = {name: [] for name in BOTS}
    for index in range(runs):
        order = BOTS if index % 2 == 0 else BOTS[::-1]
        for which in order:
            r = await burst(which, n_rsvps, n_upvotes, spread, seed=index)
            results[which].append(r)
            bad = verdict(which, r, n_rsvps, n_upvotes)
            issues[which].append(bad)
            s = r.stats()
            extra = (
                f", announcement PATCHes {r.announcement_patches}, "
                f"question edits {r.question_edits}"
                if which == "ours"
                else ""
            )
            print(
                f"  run {index + 1}/{runs} {which:8s} fired over {r.spread_s:.2f} s: ack p50 "
                f"{s['p50_ms']:.1f} ms, p99 {s['p99_ms']:.1f} ms, max {s['max_ms']:.1f} ms"
                f"{extra}; {'OK' if not bad else 'PROBLEMS'}",
                flush=True,
            )
            for problem in bad:
                print(f"    {problem}")
    summary: JSON = {}
    for name, rs in results.items():
        entry: JSON = {"spread_s": [r.spread_s for r in rs]}
        for kind in ("all", *KINDS):
            per_run = [r.stats(kind) for r in rs]
            entry[kind] = {
                key: median([s[key] for s in per_run]) for key in ("p50_ms", "p99_ms", "max_ms")
            }
            entry[kind]["runs"] = per_run
        entry["failed"] = [r.failed for r in rs]
        entry["unacked"] = [r.unacked for r in rs]
        entry["checks"] = [r.check for r in rs]
        entry["problems"] = issues[name]
        entry["ok"] = not any(issues[name])
        summary[name] = entry
    ours = results["ours"]
    rest: Counter[str] = Counter()
    for r in ours:
        rest.update(r.rest)
    clicks = (n_rsvps + n_upvotes) * len(ours)
    o, b = summary["ours"]["all"], summary["baseline"]["all"]
    summary["ours"]["announcement_patches"] = [r.announcement_patches for r in ours]
    summary["ours"]["median_announcement_patches"] = median([r.announcement_patches for r in ours])
    summary["ours"]["question_edits"] = [r.question_edits for r in ours]
    summary["ours"]["median_question_edits"] = median([r.question_edits for r in ours])
    return {
        "machine": machine(),
        "config": {"rsvps": n_rsvps, "upvotes": n_upvotes, "spread_s": spread, "runs": runs},
        **summary,
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
        f"\nsession burst: {cfg['rsvps']} RSVP clicks + {cfg['upvotes']} upvotes (distinct "
        f"members) within {cfg['spread_s']:g} s, dispatch -> callback POST arrives; "
        f"medians of {cfg['runs']} runs"
    )
    print(f"{'':18s} {'ours':>10s} {'baseline':>10s} {'ratio':>7s}")
    for kind in ("all", *KINDS):
        for key in ("p50_ms", "p99_ms", "max_ms"):
            mine, base = result["ours"][kind][key], result["baseline"][kind][key]
            label = f"{kind} {key[:-3]}"
            print(f"{label:18s} {mine:8.1f}ms {base:8.1f}ms {ratio(mine, base):6.2f}x")
    ours = result["ours"]
    print(
        f"ours: announcement PATCHes per burst {ours['announcement_patches']} (coalesced), "
        f"question message edits {ours['question_edits']} (one type-7 update per upvote)"
    )
    print(f"ours: REST calls per click {result['ours_rest_per_click']:.2f}")
    for name, per in result["ours_rest_by_route"].items():
        print(f"  {per:6.3f}  {name}")
    for index, check in enumerate(ours["checks"], 1):
        print(
            f"ours run {index}: going {check['going']}/{cfg['rsvps']} (rows {check['rsvp_rows']}, "
            f"same members {check['rsvp_users_match']}, waitlist {check['waitlist']}); votes "
            f"{check['votes']}/{cfg['upvotes']} (rows {check['vote_rows']}, same members "
            f"{check['vote_users_match']}, confirmed {check['vote_confirmed']}); the question "
            f"shows {check['final_question_shows']!r}"
        )
    for name in BOTS:
        entry = result[name]
        state = "every click acknowledged and counted once" if entry["ok"] else "PROBLEMS"
        print(f"{name}: failed {entry['failed']}, unacknowledged {entry['unacked']}: {state}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.session_burst")
    parser.add_argument("--rsvps", type=int, default=200, help="RSVP clicks (distinct members)")
    parser.add_argument("--upvotes", type=int, default=200, help="upvotes (other members)")
    parser.add_argument("--spread", type=float, default=2.0, help="seconds the clicks spread over")
    parser.add_argument("--runs", type=int, default=3, help="rounds (each bot once per round)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.rsvps < 1 or args.upvotes < 1 or args.spread < 0:
        parser.error("--runs, --rsvps and --upvotes must be at least 1, --spread not negative")
    result = asyncio.run(run(args.rsvps, args.upvotes, args.spread, args.runs))
    report(result)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

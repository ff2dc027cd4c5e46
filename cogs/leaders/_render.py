"""What nominations and the roster look like: the charter message with its Accept / Decline
buttons (a DynamicItem: the nomination id is in the custom_id, so the buttons work for the
nominee after a restart), the list of leaders, and the lines about circles that changed hands."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import discord

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import discord_timestamp, t
from bot.services.leaders.models import Nomination
from bot.services.leaders.roster import CircleHandover, LedCircle, Roster
from bot.ui import guarded

if TYPE_CHECKING:
    from cogs.leaders._nominations import RosterRunner

_NOMINATION_ID = re.compile(r"\d{1,18}")
EMBED_LIMIT = 4096
MESSAGE_LIMIT = 2000


def runner_of(interaction: discord.Interaction[VouchBot]) -> RosterRunner:
    """The loaded RosterRunner cog."""
    cog: Any = interaction.client.get_cog("RosterRunner")
    if cog is None:
        raise DomainError("errors.unavailable")
    runner: RosterRunner = cog
    return runner


class NominationButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"leaders:nomination:(?P<action>accept|decline):(?P<rest>.{0,60})",
):
    """Accept or Decline under a charter. Only the nominee may press (checked against the
    database: a custom_id is user input, and a fallback post is seen by others)."""

    def __init__(
        self,
        action: str,
        nomination_id: int | str,
        *,
        label: str | None = None,
        disabled: bool = False,
    ) -> None:
        accept = action == "accept"
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="✅" if accept else "✖️",
                style=discord.ButtonStyle.success if accept else discord.ButtonStyle.secondary,
                disabled=disabled,
                custom_id=f"leaders:nomination:{action}:{nomination_id}",
            )
        )
        self.action = action
        self.rest = str(nomination_id)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> NominationButton:
        """Keep the raw id: it is checked when pressed."""
        return cls(match["action"], match["rest"])

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Accept or decline, as the nominee."""
        if not _NOMINATION_ID.fullmatch(self.rest):
            raise DomainError("leaders.nomination.unknown")
        runner = runner_of(interaction)
        if self.action == "accept":
            await runner.press_accept(interaction, int(self.rest))
        else:
            await runner.press_decline(interaction, int(self.rest))


DYNAMIC_ITEMS: tuple[type[discord.ui.DynamicItem[Any]], ...] = (NominationButton,)


def nomination_view(
    nomination_id: int, locale: object, *, disabled: bool = False
) -> discord.ui.View:
    """Accept / Decline (greyed out once answered, expired or withdrawn)."""
    view = discord.ui.View(timeout=None)
    for action in ("accept", "decline"):
        view.add_item(
            NominationButton(
                action,
                nomination_id,
                label=t(f"leaders.nomination.button.{action}", locale),
                disabled=disabled,
            )
        )
    return view


def charter_message(
    nomination: Nomination,
    *,
    guild_name: str,
    charter: str,
    circle_name: str | None,
    locale: object,
) -> tuple[str, discord.Embed]:
    """The invitation (who asks, until when, the circle offered) and the charter in an embed
    (embeds never ping, whatever the charter says)."""
    lines = [
        t(
            "leaders.nomination.invite",
            locale,
            guild=guild_name,
            founder=f"<@{nomination.nominated_by}>",
        )
    ]
    if circle_name is not None:
        lines.append(t("leaders.nomination.invite_circle", locale, circle=circle_name))
    lines.append(
        t(
            "leaders.nomination.invite_deadline",
            locale,
            until=discord_timestamp(nomination.expires_at, "F"),
            left=discord_timestamp(nomination.expires_at, "R"),
        )
    )
    embed = discord.Embed(
        title=t("leaders.charter.title", locale)[:256],
        description=fit(charter, EMBED_LIMIT),
        colour=discord.Colour.gold(),
    )
    return "\n".join(lines), embed


def roster_lines(roster: Roster, locale: object) -> list[str]:
    """`/leaders list`: one line per leader and circle, then the open circles."""
    lines: list[str] = []
    if roster.leaders:
        lines.append(t("leaders.list.heading", locale, count=len(roster.leaders)))
    else:
        lines.append(t("leaders.list.none", locale))
    for entry in roster.leaders:
        since = discord_timestamp(entry.since, "D")
        if not entry.circles:
            lines.append(
                t("leaders.list.leader_alone", locale, leader=f"<@{entry.user_id}>", since=since)
            )
        for circle in entry.circles:
            lines.append(
                t(
                    "leaders.list.leader_circle",
                    locale,
                    leader=f"<@{entry.user_id}>",
                    since=since,
                    circle=circle.name,
                    members=circle.members,
                    checkin=_checkin(circle, locale),
                )
            )
    if roster.open_circles:
        lines.append(t("leaders.list.open_heading", locale, count=len(roster.open_circles)))
        for circle in roster.open_circles:
            lines.append(
                t(
                    "leaders.list.open_circle",
                    locale,
                    circle=circle.name,
                    members=circle.members,
                    checkin=_checkin(circle, locale),
                )
            )
    return lines


def _checkin(circle: LedCircle, locale: object) -> str:
    if circle.last_checkin_at is None:
        return t("leaders.list.no_checkin", locale)
    return t(
        "leaders.list.last_checkin", locale, when=discord_timestamp(circle.last_checkin_at, "R")
    )


def handover_lines(circles: tuple[CircleHandover, ...], locale: object) -> list[str]:
    """What became of each circle: moved to someone, or open and waiting for a leader."""
    lines = []
    for circle in circles:
        if circle.new_leader_id is None:
            lines.append(t("leaders.handover.open", locale, circle=circle.name))
        else:
            lines.append(
                t(
                    "leaders.handover.moved",
                    locale,
                    circle=circle.name,
                    leader=f"<@{circle.new_leader_id}>",
                )
            )
    return lines


def chunks(lines: list[str], limit: int = MESSAGE_LIMIT) -> Iterator[str]:
    """Lines packed into messages of at most `limit` characters (a long line is cut)."""
    current = ""
    for line in lines:
        line = fit(line, limit)
        if current and len(current) + 1 + len(line) > limit:
            yield current
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        yield current


def fit(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """Cut a text to Discord's limit."""
    return text if len(text) <= limit else text[: limit - 1] + "…"

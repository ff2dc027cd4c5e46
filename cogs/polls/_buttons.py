"""Persistent poll buttons. One DynamicItem takes every `poll:` custom_id, so a tampered or
malformed one still gets a clear answer; the PollRunner parses it and re-checks everything."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.feedback.polls import Poll
from bot.ui import guarded

if TYPE_CHECKING:
    from cogs.polls._runner import PollRunner


def runner_of(interaction: discord.Interaction[VouchBot]) -> PollRunner:
    """The loaded PollRunner cog."""
    cog: Any = interaction.client.get_cog("PollRunner")
    if cog is None:
        raise DomainError("errors.unavailable")
    runner: PollRunner = cog
    return runner


class PollButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"poll:(?P<rest>.{0,95})"
):
    """`poll:vote:<poll>:<option>` or `poll:comment:<poll>`."""

    def __init__(
        self,
        rest: str,
        *,
        label: str | None = None,
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        emoji: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=style,
                emoji=emoji,
                disabled=disabled,
                custom_id=f"poll:{rest}",
            )
        )
        self.rest = rest

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Any:
        """Keep the raw rest of the id: it is parsed (and refused if bad) by the runner."""
        return cls(match["rest"])

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Vote, or open the comment form."""
        await runner_of(interaction).press(interaction, self.rest)


DYNAMIC_ITEMS = (PollButton,)


def poll_view(poll: Poll, locale: object) -> discord.ui.View:
    """One button per option (5 per row); disabled once the poll is closed."""
    view = discord.ui.View(timeout=None)
    for position, label in enumerate(poll.options):
        view.add_item(
            PollButton(
                f"vote:{poll.id}:{position}",
                label=label,
                emoji="⭐" if poll.kind == "rating" else None,
                style=discord.ButtonStyle.primary
                if poll.kind == "poll"
                else discord.ButtonStyle.secondary,
                disabled=not poll.is_open,
            )
        )
    return view


def comment_view(poll: Poll, locale: object) -> discord.ui.View:
    """ "Add a comment", under the thanks for a rating or NPS answer."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        PollButton(
            f"comment:{poll.id}",
            label=t("survey.button.comment", locale),
            emoji="💬",
        )
    )
    return view

"""The Upvote button under a feedback item: the item id is in its custom_id and its state in the
database, so it works for everyone and after restarts."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.feedback.board import FeedbackItem
from bot.ui import guarded

if TYPE_CHECKING:
    from cogs.feedback import Feedback


def feedback_cog(interaction: discord.Interaction[VouchBot]) -> Feedback:
    """The loaded Feedback cog."""
    cog: Any = interaction.client.get_cog("Feedback")
    if cog is None:
        raise DomainError("errors.unavailable")
    found: Feedback = cog
    return found


_ITEM_ID = re.compile(r"\d{1,18}")


class UpvoteButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"feedback:upvote:(?P<rest>.{0,84})"
):
    """Upvote an item (a second press takes the vote back). Every `feedback:upvote:` id is
    taken, so a malformed one (a custom_id is user input) still gets a clear answer."""

    def __init__(
        self, item_id: int | str, *, label: str | None = None, disabled: bool = False
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji="▲",
                style=discord.ButtonStyle.primary,
                disabled=disabled,
                custom_id=f"feedback:upvote:{item_id}",
            )
        )
        self.rest = str(item_id)

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> UpvoteButton:
        """Keep the raw id: it is checked when pressed (the label is not needed)."""
        return cls(match["rest"])

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Toggle the presser's upvote."""
        if not _ITEM_ID.fullmatch(self.rest):
            raise DomainError("feedback.button.invalid")
        await feedback_cog(interaction).press_upvote(interaction, int(self.rest))


def item_view(item: FeedbackItem, locale: object) -> discord.ui.View:
    """The Upvote button with the count; off once the item shipped or was declined."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        UpvoteButton(
            item.id,
            label=t("feedback.button.upvote", locale, votes=item.votes),
            disabled=not item.takes_votes,
        )
    )
    return view

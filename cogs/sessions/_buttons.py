"""Persistent buttons of sessions: their state is in the custom_id and the database, so they work
for everyone and after restarts. Each press is handled by the SessionRunner cog."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.sessions.models import Session
from bot.ui import guarded

if TYPE_CHECKING:
    from cogs.sessions._office import OfficeRunner
    from cogs.sessions._runner import SessionRunner


def runner_of(interaction: discord.Interaction[VouchBot]) -> SessionRunner:
    """The loaded SessionRunner cog."""
    cog: Any = interaction.client.get_cog("SessionRunner")
    if cog is None:
        raise DomainError("errors.unavailable")
    runner: SessionRunner = cog
    return runner


def office_of(interaction: discord.Interaction[VouchBot]) -> OfficeRunner:
    """The loaded OfficeRunner cog."""
    cog: Any = interaction.client.get_cog("OfficeRunner")
    if cog is None:
        raise DomainError("errors.unavailable")
    runner: OfficeRunner = cog
    return runner


class _IdButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"$^"):
    """A button whose custom_id is `<prefix>:<id>`."""

    prefix = ""

    def __init__(
        self,
        item_id: int,
        *,
        label: str = "",
        style: discord.ButtonStyle = discord.ButtonStyle.secondary,
        emoji: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            discord.ui.Button(
                label=label or None,
                style=style,
                emoji=emoji,
                disabled=disabled,
                custom_id=f"{self.prefix}:{item_id}",
            )
        )
        self.item_id = item_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Any:
        """Rebuild from the custom_id (the label is not needed to handle a press)."""
        return cls(int(match["id"]))


class RsvpButton(_IdButton, template=r"session:rsvp:(?P<id>\d{1,20})"):
    """RSVP, or withdraw it (a toggle)."""

    prefix = "session:rsvp"

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Toggle the presser's RSVP."""
        await runner_of(interaction).press_rsvp(interaction, self.item_id)


class AskButton(_IdButton, template=r"session:ask:(?P<id>\d{1,20})"):
    """Opens the question form."""

    prefix = "session:ask"

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Show the form."""
        await runner_of(interaction).press_ask(interaction, self.item_id)


class UpvoteButton(_IdButton, template=r"session:upvote:(?P<id>\d{1,20})"):
    """Upvote a question (again: take the vote back)."""

    prefix = "session:upvote"

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Toggle the presser's vote."""
        await runner_of(interaction).press_upvote(interaction, self.item_id)


class ConfirmButton(_IdButton, template=r"session:confirm:(?P<id>\d{1,20})"):
    """ "Schedule anyway" after an overlap warning."""

    prefix = "session:confirm"

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Create the saved draft."""
        await runner_of(interaction).press_confirm(interaction, self.item_id)


class SlotButton(_IdButton, template=r"session:slot:(?P<id>\d{1,20})"):
    """Request a one-to-one slot."""

    prefix = "session:slot"

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Request a slot."""
        await office_of(interaction).press_request(interaction, self.item_id)


class UnslotButton(_IdButton, template=r"session:unslot:(?P<id>\d{1,20})"):
    """Give up one's slot or request."""

    prefix = "session:unslot"

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Cancel."""
        await office_of(interaction).press_cancel(interaction, self.item_id)


DYNAMIC_ITEMS = (RsvpButton, AskButton, UpvoteButton, ConfirmButton, SlotButton, UnslotButton)


def announcement_view(session: Session, locale: object) -> discord.ui.View:
    """RSVP and Ask buttons; disabled once the session is over."""
    view = discord.ui.View(timeout=None)
    over = not session.is_open
    view.add_item(
        RsvpButton(
            session.id,
            label=t("session.button.rsvp", locale),
            style=discord.ButtonStyle.success,
            emoji="✅",
            disabled=over,
        )
    )
    view.add_item(
        AskButton(
            session.id,
            label=t("session.button.ask", locale),
            emoji="❓",
            disabled=over,
        )
    )
    return view


def question_view(
    question_id: int, votes: int, locale: object, *, open_: bool = True
) -> discord.ui.View:
    """The Upvote button under a listed question, with its count."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        UpvoteButton(
            question_id,
            label=t("session.button.upvote", locale, votes=votes),
            emoji="▲",
            disabled=not open_,
        )
    )
    return view


def confirm_view(draft_id: int, locale: object) -> discord.ui.View:
    """ "Schedule anyway"."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        ConfirmButton(
            draft_id, label=t("session.button.confirm", locale), style=discord.ButtonStyle.primary
        )
    )
    return view


def office_view(session_id: int, locale: object, *, over: bool = False) -> discord.ui.View:
    """Request a slot / Cancel mine."""
    view = discord.ui.View(timeout=None)
    view.add_item(
        SlotButton(
            session_id,
            label=t("session.office.request_button", locale),
            style=discord.ButtonStyle.success,
            emoji="🗓️",
            disabled=over,
        )
    )
    view.add_item(
        UnslotButton(session_id, label=t("session.office.cancel_button", locale), disabled=over)
    )
    return view

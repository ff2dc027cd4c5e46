"""/setup membership, admission, rules, questions and panel: how the guild admits people."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import require_manage_guild
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.membership.models import Introduction, MembershipSettings
from bot.services.membership.settings import QUESTION_MAX, RULES_MAX
from bot.ui import show_modal

SPONSORED = [
    app_commands.Choice(name="automatic", value="auto"),
    app_commands.Choice(name="moderator review", value="moderator"),
]
UNSPONSORED = [
    app_commands.Choice(name="moderator review", value="moderator"),
    app_commands.Choice(name="refuse", value="refuse"),
]


def summary(settings: MembershipSettings, locale: object) -> str:
    """The admission settings in one message."""
    return t(
        "setup.membership.summary",
        locale,
        cap=settings.max_members or t("setup.membership.no_cap", locale),
        open=settings.max_open_introductions,
        days=settings.invite_max_age // 86_400,
        hours=settings.pending_timeout // 3_600,
        sponsored=t(f"admission.{settings.sponsored_admission}", locale),
        unsponsored=t(f"admission.{settings.unsponsored_admission}", locale),
    )


class MembershipSide(Protocol):
    """What /setup asks of the membership extension (found at run time, never imported)."""

    async def seats_opened(self, guild: discord.Guild, promoted: Sequence[Introduction]) -> None:
        """Send the invites of introductions that just got a seat."""

    async def post_panel(self, guild: discord.Guild) -> discord.Message:
        """Post or refresh the gate panel in the welcome channel."""


TEXTS_MODAL_PATTERN = r"setup:texts:(rules|questions)"


class TextsModal(discord.ui.Modal):
    """The house rules or the gate questions; empty fields mean the localized default.
    Layout only: `save_texts` handles the submission (see `bot.ui.show_modal`)."""

    def __init__(self, kind: str, values: list[str | None], locale: object) -> None:
        super().__init__(
            title=t(f"setup.{kind}.modal_title", locale)[:45], custom_id=f"setup:texts:{kind}"
        )
        limit = RULES_MAX if kind == "rules" else QUESTION_MAX
        style = discord.TextStyle.paragraph if kind == "rules" else discord.TextStyle.short
        for n, value in enumerate(values):
            self.add_item(
                discord.ui.TextInput[TextsModal](
                    label=t(f"setup.{kind}.field", locale, n=n + 1)[:45],
                    style=style,
                    max_length=limit,
                    required=False,
                    default=value,
                    custom_id=f"setup:text:{n}",
                )
            )


async def save_texts(
    interaction: discord.Interaction[VouchBot], match: re.Match[str], values: dict[str, str]
) -> None:
    """Store the submitted rules or questions (Manage Server, checked again on submit)."""
    require_manage_guild(interaction)
    assert interaction.guild_id is not None
    service = interaction.client.services.membership
    texts = [values.get(f"setup:text:{n}") or None for n in range(3)]
    if match[1] == "rules":
        updated = await service.set_rules(interaction.guild_id, texts[0])
        content = t("setup.rules.saved", interaction.locale, version=updated.rules_version)
    else:
        await service.set_questions(interaction.guild_id, (texts[0], texts[1], texts[2]))
        content = t("setup.questions.saved", interaction.locale)
    await interaction.response.send_message(content, ephemeral=True)


class MembershipSetup(commands.Cog):
    """Mixed into the /setup group (its commands become /setup subcommands)."""

    bot: VouchBot

    @app_commands.command(name="membership", description="Member cap, introductions and timeouts")
    @app_commands.describe(
        max_members="Member cap (0 = no cap)",
        max_open_introductions="Open introductions per member",
        invite_days="Days an introduction's invite lasts",
        pending_hours="Hours a newcomer has to finish the welcome steps",
    )
    async def membership(
        self,
        interaction: discord.Interaction[VouchBot],
        max_members: app_commands.Range[int, 0, 100_000] | None = None,
        max_open_introductions: app_commands.Range[int, 1, 25] | None = None,
        invite_days: app_commands.Range[int, 1, 7] | None = None,
        pending_hours: app_commands.Range[int, 1, 720] | None = None,
    ) -> None:
        """Change (or show) the admission numbers; a higher cap seats the waitlist."""
        guild = interaction.guild
        assert guild is not None
        changes: dict[str, int] = {}
        if max_members is not None:
            changes["max_members"] = max_members
        if max_open_introductions is not None:
            changes["max_open_introductions"] = max_open_introductions
        if invite_days is not None:
            changes["invite_max_age"] = invite_days * 86_400
        if pending_hours is not None:
            changes["pending_timeout"] = pending_hours * 3_600
        await interaction.response.defer(ephemeral=True, thinking=True)
        settings, promoted = await self.bot.services.membership.update(guild.id, **changes)
        await self._membership().seats_opened(guild, promoted)
        await interaction.followup.send(summary(settings, interaction.locale), ephemeral=True)

    @app_commands.command(name="admission", description="Who admits newcomers")
    @app_commands.describe(sponsored="People introduced by a member", unsponsored="Everyone else")
    @app_commands.choices(sponsored=SPONSORED, unsponsored=UNSPONSORED)
    async def admission(
        self,
        interaction: discord.Interaction[VouchBot],
        sponsored: app_commands.Choice[str] | None = None,
        unsponsored: app_commands.Choice[str] | None = None,
    ) -> None:
        """Set the admission policies."""
        guild = interaction.guild
        assert guild is not None
        changes = {}
        if sponsored is not None:
            changes["sponsored_admission"] = sponsored.value
        if unsponsored is not None:
            changes["unsponsored_admission"] = unsponsored.value
        await interaction.response.defer(ephemeral=True, thinking=True)
        settings, promoted = await self.bot.services.membership.update(guild.id, **changes)
        if promoted:  # any settings change gives free seats to the waitlist: invite them now
            await self._membership().seats_opened(guild, promoted)
        await interaction.followup.send(summary(settings, interaction.locale), ephemeral=True)

    @app_commands.command(name="rules", description="Edit the house rules newcomers accept")
    async def rules(self, interaction: discord.Interaction[VouchBot]) -> None:
        """A modal with the current rules; saving raises their version."""
        assert interaction.guild_id is not None
        settings = await self.bot.services.membership.get(interaction.guild_id)
        await show_modal(
            interaction, TextsModal("rules", [settings.rules_text], interaction.locale)
        )

    @app_commands.command(name="questions", description="Edit the welcome questions")
    async def questions(self, interaction: discord.Interaction[VouchBot]) -> None:
        """A modal with the three questions."""
        assert interaction.guild_id is not None
        settings = await self.bot.services.membership.get(interaction.guild_id)
        await show_modal(
            interaction, TextsModal("questions", list(settings.questions), interaction.locale)
        )

    @app_commands.command(name="panel", description="Post the welcome panel in the welcome channel")
    async def panel(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Post the gate panel (or refresh the one already there)."""
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        message = await self._membership().post_panel(interaction.guild)
        await interaction.followup.send(
            t("setup.panel.posted", interaction.locale, link=message.jump_url), ephemeral=True
        )

    def _membership(self) -> MembershipSide:
        cog = self.bot.get_cog("Gate")
        if cog is None:
            raise DomainError("errors.unavailable")
        return cast(MembershipSide, cog)

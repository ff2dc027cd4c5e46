"""/setup leaders: team size, the scale alert, signal retention, reviews, weights, charter.

Any option may be left out, and none at all shows the settings. Every value is checked before
anything is written, so one refused value changes nothing. `weights` reads "consistency=4
tenure=0.5" (the score parts README explains, 0 to 10 each). `charter: edit` opens a form with
the charter (alone: a form must be the command's first answer); `charter: reset` goes back to
the default, which every member reads in their own language.
"""

from __future__ import annotations

import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import require_manage_guild
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import format_number, t
from bot.services.leaders.models import LeaderSettings
from bot.services.leaders.settings import CHARTER_MAX, parse_weights
from bot.ui import show_modal
from cogs.leaders._render import EMBED_LIMIT, fit
from cogs.leaders._suggest_render import weights_text

CHARTER_MODAL_PATTERN = r"setup:leaders:charter"
CHARTER_FIELD = "setup:leaders:charter_text"
CHARTER_CHOICES = [
    app_commands.Choice(name="edit", value="edit"),
    app_commands.Choice(name="reset to default", value="reset"),
]
NUMBERS = ("members_per_leader", "alert_at", "retention_days", "review_weeks")


def summary(settings: LeaderSettings, locale: object) -> str:
    """The leader settings in one message."""
    if settings.charter_text is None:
        charter = t("leaders.setup.charter_default", locale)
    else:
        length = format_number(len(settings.charter_text), locale)
        charter = t("leaders.setup.charter_custom", locale, length=length)
    return t(
        "leaders.setup.summary",
        locale,
        members_per_leader=format_number(settings.members_per_leader, locale),
        alert_at=format_number(settings.alert_at, locale),
        retention_days=format_number(settings.retention_days, locale),
        review_weeks=format_number(settings.review_weeks, locale),
        weights=weights_text(settings.weights, locale),
        charter=charter,
    )


class CharterModal(discord.ui.Modal):
    """The charter in one field (empty: the default). Layout only: `save_charter` handles the
    submission (see `bot.ui.show_modal`)."""

    def __init__(self, text: str, locale: object) -> None:
        super().__init__(
            title=t("leaders.charter.modal_title", locale)[:45], custom_id="setup:leaders:charter"
        )
        self.add_item(
            discord.ui.TextInput[CharterModal](
                label=t("leaders.charter.field", locale)[:45],
                style=discord.TextStyle.paragraph,
                max_length=CHARTER_MAX,
                required=False,
                default=text[:CHARTER_MAX],
                custom_id=CHARTER_FIELD,
            )
        )


async def save_charter(
    interaction: discord.Interaction[VouchBot], match: re.Match[str], values: dict[str, str]
) -> None:
    """Store the submitted charter (Manage Server, checked again on submit) and show it as
    nominees will read it, in an embed (which never pings, whatever the charter mentions)."""
    require_manage_guild(interaction)
    assert interaction.guild_id is not None
    locale = interaction.locale
    text = values.get(CHARTER_FIELD, "")
    if text.strip() == t("leaders.charter.default", locale).strip():
        text = ""  # the default as shown, unchanged: keep it in every member's language
    settings = await interaction.client.services.leader_settings.set_charter(
        interaction.guild_id, text or None
    )
    if settings.charter_text is None:
        await interaction.response.send_message(
            t("leaders.setup.charter_reset", locale), ephemeral=True
        )
        return
    embed = discord.Embed(
        title=t("leaders.charter.title", locale)[:256],
        description=fit(settings.charter_text, EMBED_LIMIT),
        colour=discord.Colour.gold(),
    )
    await interaction.response.send_message(
        t("leaders.setup.charter_saved", locale),
        embed=embed,
        ephemeral=True,
        allowed_mentions=discord.AllowedMentions.none(),
    )


class LeaderSetup(commands.Cog):
    """Mixed into the /setup group."""

    bot: VouchBot

    @app_commands.command(
        name="leaders", description="Leaders: team size, scale alert, signals, reviews, score"
    )
    @app_commands.describe(
        members_per_leader="Members per leader, 2 to 200 (15 by default)",
        alert_at="Watch the number of leaders from this many members (30 by default)",
        retention_days="Days the engagement signals are kept, 30 to 730 (180 by default)",
        review_weeks="Weeks without activity or check-ins before a leader is reviewed (4)",
        weights="Score weights from 0 to 10, e.g. consistency=4 tenure=0.5",
        charter="Edit the leader charter, or go back to the default",
    )
    @app_commands.choices(charter=CHARTER_CHOICES)
    async def leaders(
        self,
        interaction: discord.Interaction[VouchBot],
        members_per_leader: app_commands.Range[int, 2, 200] | None = None,
        alert_at: app_commands.Range[int, 2, 100_000] | None = None,
        retention_days: app_commands.Range[int, 30, 730] | None = None,
        review_weeks: app_commands.Range[int, 1, 26] | None = None,
        weights: app_commands.Range[str, 1, 200] | None = None,
        charter: app_commands.Choice[str] | None = None,
    ) -> None:
        """Change (or show) the leader settings; a change may call for the scale alert."""
        guild = interaction.guild
        assert guild is not None
        given = (members_per_leader, alert_at, retention_days, review_weeks)
        numbers = {n: value for n, value in zip(NUMBERS, given, strict=True) if value is not None}
        service = self.bot.services.leader_settings
        locale = interaction.locale
        if charter is not None and charter.value == "edit":
            if numbers or weights is not None:
                raise DomainError("leaders.setup.charter_alone")
            current = await service.get(guild.id)
            text = current.charter_text or t("leaders.charter.default", locale)
            await show_modal(interaction, CharterModal(text, locale))
            return
        parsed = parse_weights(weights) if weights is not None else {}
        lines = []
        if numbers or parsed or charter is not None:
            settings = await service.configure(
                guild.id, numbers=numbers, weights=parsed, reset_charter=charter is not None
            )
            self.bot.dispatch("leader_settings_changed", guild)
            if charter is not None:
                lines.append(t("leaders.setup.charter_reset", locale))
        else:
            settings = await service.get(guild.id)
        lines.append(summary(settings, locale))
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

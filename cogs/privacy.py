"""/privacy export and /privacy forget: a member's own data, through the privacy registry."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.ui import VouchView, guarded


class ForgetButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"privacy:(?P<action>forget|keep):(?P<user_id>\d+)",
):
    """Confirm or cancel `/privacy forget`; works after a restart (the ids are in the custom_id)."""

    def __init__(self, action: str, user_id: int, locale: object = None) -> None:
        key = (
            "privacy.forget.confirm_button" if action == "forget" else "privacy.forget.keep_button"
        )
        style = discord.ButtonStyle.danger if action == "forget" else discord.ButtonStyle.secondary
        super().__init__(
            discord.ui.Button(
                label=t(key, locale), style=style, custom_id=f"privacy:{action}:{user_id}"
            )
        )
        self.action = action
        self.user_id = user_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ForgetButton:
        """Rebuild from the custom_id (user input: re-checked in the callback)."""
        return cls(match["action"], int(match["user_id"]), interaction.locale)

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Only the member who asked may confirm; then delete and say how much went."""
        if interaction.user.id != self.user_id:
            raise DomainError("privacy.forget.not_yours")
        if interaction.guild_id is None:
            raise DomainError("errors.guild_only")
        if self.action == "keep":
            await interaction.response.edit_message(
                content=t("privacy.forget.kept", interaction.locale), view=None
            )
            return
        report = await interaction.client.services.privacy.forget(
            interaction.guild_id, interaction.user.id
        )
        await interaction.response.edit_message(
            content=t("privacy.forget.done", interaction.locale, count=report.total), view=None
        )
        # Features react to the deletion (membership: the freed seats pass to the waitlist).
        interaction.client.dispatch("member_data_forgotten", interaction.guild_id, self.user_id)


@app_commands.guild_only()
class Privacy(commands.GroupCog, group_name="privacy", group_description="Your data in Vouch"):
    """A member's own data."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(
        name="export", description="Get a file with everything Vouch stores about you"
    )
    async def export(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Send the member's data as a JSON file, ephemerally."""
        assert interaction.guild_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        document = await self.bot.services.privacy.export(interaction.guild_id, interaction.user.id)
        payload = json.dumps(document, indent=2, ensure_ascii=False, default=str).encode()
        file = discord.File(io.BytesIO(payload), filename=f"vouch-data-{interaction.user.id}.json")
        await interaction.followup.send(
            t("privacy.export.ready", interaction.locale), file=file, ephemeral=True
        )

    @app_commands.command(name="forget", description="Delete everything Vouch stores about you")
    async def forget(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Ask for confirmation first."""
        view = VouchView(timeout=None)
        view.add_item(ForgetButton("forget", interaction.user.id, interaction.locale))
        view.add_item(ForgetButton("keep", interaction.user.id, interaction.locale))
        await interaction.response.send_message(
            t("privacy.forget.ask", interaction.locale), view=view, ephemeral=True
        )


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    bot.add_dynamic_items(ForgetButton)
    await bot.add_cog(Privacy(bot))

"""/setup: per-guild configuration, for members with Manage Server (checked at run time too)."""

from __future__ import annotations

from typing import Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import require_manage_guild
from bot.client import VouchBot
from bot.i18n import LOCALE_NAMES, t
from bot.services.digest.schedule import CHANGE_CATCH_UP
from cogs.preferences import LANGUAGE_CHOICES
from cogs.setup._auto import run_auto_setup
from cogs.setup._digest import DigestSetup
from cogs.setup._leaders import CHARTER_MODAL_PATTERN, LeaderSetup, save_charter
from cogs.setup._membership import TEXTS_MODAL_PATTERN, MembershipSetup, save_texts
from cogs.setup._referrals import ReferralSetup
from cogs.setup._render import config_embed
from cogs.setup._roles import check_role_to_hand_out
from cogs.setup._sessions import SessionSetup

ChannelPurpose = Literal["welcome", "introductions", "announcements", "feedback", "leaders", "log"]
RolePurpose = Literal["newcomer", "member", "leader", "founder", "moderator"]


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Setup(
    MembershipSetup,
    ReferralSetup,
    SessionSetup,
    LeaderSetup,
    DigestSetup,
    commands.GroupCog,
    group_name="setup",
    group_description="Configure Vouch for this server",
):
    """Configuration commands."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.config = bot.services.config
        super().__init__()

    async def cog_load(self) -> None:
        """The rules, questions and charter forms are answered through the bot's modal router."""
        self.bot.modals.route(TEXTS_MODAL_PATTERN, save_texts)
        self.bot.modals.route(CHARTER_MODAL_PATTERN, save_charter)

    async def cog_unload(self) -> None:
        """Stop answering the forms."""
        self.bot.modals.unroute(TEXTS_MODAL_PATTERN)
        self.bot.modals.unroute(CHARTER_MODAL_PATTERN)

    async def interaction_check(self, interaction: discord.Interaction[VouchBot]) -> bool:  # type: ignore[override]
        """Server admins can open /setup to anyone; only managers may use it."""
        return require_manage_guild(interaction)

    @app_commands.command(name="show", description="Show this server's Vouch configuration")
    async def show(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Show the configuration."""
        assert interaction.guild is not None
        config = await self.config.get(interaction.guild.id)
        embed = config_embed(interaction.guild, config, interaction.locale)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="channel", description="Choose the channel used for a purpose")
    @app_commands.describe(purpose="What the channel is for", channel="The channel to use")
    async def channel(
        self,
        interaction: discord.Interaction[VouchBot],
        purpose: ChannelPurpose,
        channel: discord.TextChannel | discord.ForumChannel,
    ) -> None:
        """Set a channel purpose."""
        assert interaction.guild is not None
        await self.config.set_channel(interaction.guild.id, purpose, channel.id)
        await interaction.response.send_message(
            t(
                "setup.channel.saved",
                interaction.locale,
                purpose=t(f"purpose.{purpose}", interaction.locale),
                channel=channel.mention,
            ),
            ephemeral=True,
        )

    @app_commands.command(name="role", description="Choose the role used for a purpose")
    @app_commands.describe(purpose="What the role is for", role="The role to use")
    async def role(
        self, interaction: discord.Interaction[VouchBot], purpose: RolePurpose, role: discord.Role
    ) -> None:
        """Set a role purpose, refusing roles the bot must not hand out."""
        guild = interaction.guild
        assert guild is not None
        check_role_to_hand_out(interaction, role)
        await self.config.set_role(guild.id, purpose, role.id)
        await interaction.response.send_message(
            t(
                "setup.role.saved",
                interaction.locale,
                purpose=t(f"purpose.{purpose}", interaction.locale),
                role=role.mention,
            ),
            ephemeral=True,
        )

    @app_commands.command(name="language", description="Choose the language of public posts")
    @app_commands.describe(language="The server's language")
    @app_commands.choices(language=LANGUAGE_CHOICES)
    async def language(
        self, interaction: discord.Interaction[VouchBot], language: app_commands.Choice[str]
    ) -> None:
        """Set the guild's language."""
        assert interaction.guild is not None
        locale = await self.config.set_language(interaction.guild.id, language.value)
        await interaction.response.send_message(
            t("setup.language.saved", interaction.locale, language=LOCALE_NAMES[locale]),
            ephemeral=True,
        )

    @app_commands.command(name="timezone", description="Set the server's time zone")
    @app_commands.describe(timezone="An IANA time zone, such as Europe/Paris")
    async def timezone(self, interaction: discord.Interaction[VouchBot], timezone: str) -> None:
        """Set the guild's time zone (validated)."""
        assert interaction.guild is not None
        zone = await self.config.set_timezone(interaction.guild.id, timezone)
        # The digest's slot is local time: plan it again (a week whose new slot already passed
        # without a digest gets it now; a week that had one gets none again).
        await self.bot.services.digest.rearm(interaction.guild.id, catch_up=CHANGE_CATCH_UP)
        self.bot.jobs.poke()
        await interaction.response.send_message(
            t("setup.timezone.saved", interaction.locale, timezone=zone), ephemeral=True
        )

    @app_commands.command(name="auto", description="Create the missing roles and channels")
    async def auto(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Create what is missing, and report what could not be created."""
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await run_auto_setup(self.bot, interaction.guild)
        await interaction.followup.send(report.render(interaction.locale), ephemeral=True)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        """A deleted channel no longer serves its purpose."""
        await self.config.forget_channel(channel.guild.id, channel.id)

    @commands.Cog.listener()
    async def on_guild_role_delete(self, role: discord.Role) -> None:
        """A deleted role no longer serves its purpose."""
        await self.config.forget_role(role.guild.id, role.id)


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Setup(bot))

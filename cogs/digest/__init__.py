"""/digest preview|send|spotlight: the weekly digest (the community newsletter), for founders and
moderators; and its jobs (`_runner`). Its schedule is `/setup digest`.

The group is hidden from members without Manage Server by default; every use is checked again
at run time (moderator or founder role, or Manage Server), so opening it to everyone in the
server's Integrations settings shows nobody else anything.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import CheckRefused, is_moderator
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import Text, discord_timestamp, t
from cogs.digest._kit import DigestKit, Target
from cogs.digest._runner import DigestRunner

__all__ = ["DigestCommands", "DigestRunner"]


def guild_moderator(
    interaction: discord.Interaction[VouchBot],
) -> tuple[discord.Guild, discord.Member]:
    """The guild and the invoking member (the group exists in guilds only)."""
    if interaction.guild is None or not isinstance(interaction.user, discord.Member):
        raise DomainError("errors.guild_only")
    return interaction.guild, interaction.user


def unpostable_error(target: Target) -> DomainError:
    """Why `/digest send` can't post, as the error the handler renders."""
    if target.channel is None:
        return DomainError("digest.unpostable.missing_channel")
    return DomainError(
        "digest.unpostable.permissions",
        channel=target.channel.mention,
        permissions=tuple(Text(f"permission.{name}") for name in target.missing),
    )


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class DigestCommands(
    commands.GroupCog,
    group_name="digest",
    group_description="The weekly digest, for founders and moderators",
):
    """The /digest group."""

    def __init__(self, bot: VouchBot, kit: DigestKit) -> None:
        self.bot = bot
        self.kit = kit
        self.digest = bot.services.digest
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction[VouchBot]) -> bool:  # type: ignore[override]
        """Founders and moderators only, whatever Discord let through."""
        guild, member = guild_moderator(interaction)
        if not is_moderator(member, await self.bot.services.config.get(guild.id)):
            raise CheckRefused(DomainError("errors.moderator_required"))
        return True

    @app_commands.command(name="preview", description="Show the next digest, only to you")
    async def preview(self, interaction: discord.Interaction[VouchBot]) -> None:
        """What a digest sent now would say, with the polls' charts, and when the next one is
        due."""
        guild, _ = guild_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        content = await self.digest.preview(guild.id)
        pages = await self.kit.render(
            guild, content, await self.bot.guild_locale(guild), ping=False
        )
        planned = await self.digest.armed(guild.id)
        locale = interaction.locale
        if planned is None:
            header = t("digest.preview.off", locale)
        else:
            header = t("digest.preview.next", locale, when=discord_timestamp(planned.due, "F"))
        for number, page in enumerate(pages):
            text = f"{header}\n\n{page.content}" if number == 0 else page.content
            await interaction.followup.send(
                text or discord.utils.MISSING,
                embeds=page.embeds,
                files=page.files(),
                ephemeral=True,
            )

    @app_commands.command(name="send", description="Post this week's digest now")
    async def send(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Post now; it counts as this week's digest, so the scheduled one won't go out again."""
        guild, _ = guild_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        target = await self.kit.target(guild)
        if target.channel is None or not target.postable:
            raise unpostable_error(target)
        week = await self.digest.this_week(guild.id)
        if not await self.kit.claim(guild.id, week, "manual"):
            run = await self.digest.run(guild.id, week)
            when = run.sent_at or run.claimed_at if run else self.bot.services.clock()
            raise DomainError("digest.send.already", when=discord_timestamp(when, "f"))
        message = await self.kit.deliver(guild, week, target.channel)
        if message is None:
            raise DomainError("digest.send.refused", channel=target.channel.mention)
        await self.digest.rearm(guild.id)
        self.bot.jobs.poke()
        await interaction.followup.send(
            t("digest.send.done", interaction.locale, url=message.jump_url), ephemeral=True
        )

    @app_commands.command(name="spotlight", description="Write the member spotlight")
    @app_commands.describe(
        member="The member in the spotlight (mentioned in the digest)",
        text="What the team says about them (up to 1,000 characters)",
    )
    async def spotlight(
        self,
        interaction: discord.Interaction[VouchBot],
        member: discord.Member | discord.User,
        text: app_commands.Range[str, 1, 1000],
    ) -> None:
        """Store the spotlight for the next digest (replacing one still waiting)."""
        guild, author = guild_moderator(interaction)
        if member.bot:
            raise DomainError("digest.spotlight.bot")
        if not isinstance(member, discord.Member) or not await self._is_member(member):
            raise DomainError("digest.spotlight.not_member", member=member.mention)
        spotlight, replaced = await self.digest.set_spotlight(guild.id, member.id, author.id, text)
        key = "digest.spotlight.replaced" if replaced else "digest.spotlight.saved"
        embed = discord.Embed(description=spotlight.text, colour=0xF0B232)
        await interaction.response.send_message(
            t(key, interaction.locale, member=member.mention), embed=embed, ephemeral=True
        )

    async def _is_member(self, member: discord.Member) -> bool:
        """A member of the community: the member role, or a current membership record."""
        config = await self.bot.services.config.get(member.guild.id)
        role = config.roles.get("member")
        if role is not None and member.get_role(role) is not None:
            return True
        stint = await self.bot.services.members.current(member.guild.id, member.id)
        return stint is not None and stint.status == "member"


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    kit = DigestKit(bot)
    await bot.add_cog(DigestRunner(bot, kit))
    await bot.add_cog(DigestCommands(bot, kit))

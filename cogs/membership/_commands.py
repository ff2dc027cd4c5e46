"""Commands: /introduce for members; /introductions, /waitlist and /members for moderators."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import has_role
from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import discord_timestamp, t
from bot.services.membership.introductions import NAME_MAX, WHY_MAX
from cogs.membership import _admission, _render
from cogs.membership._kit import MembershipKit


class MembershipCommands(commands.Cog):
    """The membership commands."""

    def __init__(self, kit: MembershipKit) -> None:
        self.kit = kit
        self.services = kit.services

    @app_commands.command(name="introduce", description="Introduce someone you vouch for")
    @app_commands.describe(name="Their name", why="Why they belong here")
    @app_commands.guild_only()
    async def introduce(
        self,
        interaction: discord.Interaction[VouchBot],
        name: app_commands.Range[str, 1, NAME_MAX],
        why: app_commands.Range[str, 1, WHY_MAX],
    ) -> None:
        """Open an introduction: a personal single-use invite, or a place on the waitlist."""
        guild = interaction.guild
        if guild is None or not isinstance(interaction.user, discord.Member):
            raise DomainError("errors.guild_only")
        await interaction.response.defer(ephemeral=True, thinking=True)
        # The sponsor gets DMs later (a seat opened, an invite expired): remember their language.
        await self.services.preferences.saw_locale(interaction.user.id, interaction.locale.value)
        config = await self.services.config.get(guild.id)
        if "member" not in config.roles:
            raise DomainError("membership.not_configured")
        opened = await self.services.introductions.open_introduction(
            guild_id=guild.id,
            sponsor_id=interaction.user.id,
            name=name,
            why=why,
            sponsor_is_member=has_role(interaction.user, config, "member")
            and not has_role(interaction.user, config, "newcomer"),
        )
        # Introductions that waited for a free seat are served first.
        await self.kit.deliver_promoted(guild, opened.promoted)
        intro = opened.introduction
        if intro.status == "waitlisted":
            content = t(
                "intro.waitlisted",
                interaction.locale,
                name=intro.newcomer_name,
                position=intro.position or 0,
            )
        else:
            url = await self.kit.issue_invite(guild, intro)
            invited = await self.services.introductions.get(intro.id)
            expires = invited.expires_at if invited and invited.expires_at else None
            content = t(
                "intro.created",
                interaction.locale,
                name=intro.newcomer_name,
                url=url,
                expires=discord_timestamp(expires, "F") if expires else "",
            )
        await interaction.followup.send(content, ephemeral=True)

    introductions = app_commands.Group(
        name="introductions", description="Open introductions", guild_only=True
    )

    @introductions.command(name="mine", description="Your open introductions")
    async def mine(self, interaction: discord.Interaction[VouchBot]) -> None:
        """The invoker's own introductions, with their invites (the place to find an invite
        whose DM could not be delivered)."""
        assert interaction.guild_id is not None
        intros = await self.services.introductions.active(interaction.guild_id, interaction.user.id)
        await interaction.response.send_message(
            _render.introductions(intros, interaction.locale, show_invite=True), ephemeral=True
        )

    @introductions.command(name="list", description="All open and waitlisted introductions")
    async def list_all(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Every active introduction (moderators)."""
        await self.kit.require_moderator(interaction)
        assert interaction.guild_id is not None
        intros = await self.services.introductions.active(interaction.guild_id)
        await interaction.response.send_message(
            _render.introductions(intros, interaction.locale), ephemeral=True
        )

    @introductions.command(name="revoke", description="Withdraw an introduction and free its seat")
    @app_commands.describe(introduction="The introduction's number")
    async def revoke(self, interaction: discord.Interaction[VouchBot], introduction: int) -> None:
        """Close an introduction (moderators or its sponsor); its seat passes on."""
        guild = interaction.guild
        assert guild is not None and isinstance(interaction.user, discord.Member)
        intro = await self.services.introductions.get(introduction)
        if intro is None or intro.guild_id != guild.id:
            raise DomainError("intro.unknown")
        if intro.sponsor_id != interaction.user.id:
            await self.kit.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = await self.services.introductions.revoke(guild.id, intro.id)
        await self.kit.delete_invite(guild.id, closed.introduction.invite_code)
        await self.kit.deliver_promoted(guild, closed.promoted)
        await interaction.followup.send(
            t("intro.revoked", interaction.locale, name=intro.newcomer_name), ephemeral=True
        )

    waitlist = app_commands.Group(
        name="waitlist",
        description="The waitlist",
        guild_only=True,
        default_permissions=discord.Permissions(kick_members=True),
    )

    @waitlist.command(name="show", description="The waitlist, in order")
    async def waitlist_show(self, interaction: discord.Interaction[VouchBot]) -> None:
        """The waitlist (moderators)."""
        await self.kit.require_moderator(interaction)
        assert interaction.guild_id is not None
        waiting = await self.services.introductions.waitlist(interaction.guild_id)
        await interaction.response.send_message(
            _render.introductions(waiting, interaction.locale), ephemeral=True
        )

    @waitlist.command(name="remove", description="Take an introduction off the waitlist")
    @app_commands.describe(introduction="The introduction's number")
    async def waitlist_remove(
        self, interaction: discord.Interaction[VouchBot], introduction: int
    ) -> None:
        """Remove a waitlisted introduction (moderators)."""
        await self.kit.require_moderator(interaction)
        guild = interaction.guild
        assert guild is not None
        intro = await self.services.introductions.get(introduction)
        if intro is None or intro.guild_id != guild.id or intro.status != "waitlisted":
            raise DomainError("waitlist.not_waitlisted")
        await interaction.response.defer(ephemeral=True, thinking=True)
        closed = await self.services.introductions.revoke(guild.id, intro.id)
        await self.kit.deliver_promoted(guild, closed.promoted)
        await interaction.followup.send(
            t("waitlist.removed", interaction.locale, name=intro.newcomer_name), ephemeral=True
        )

    members = app_commands.Group(
        name="members",
        description="People in the welcome gate",
        guild_only=True,
        default_permissions=discord.Permissions(kick_members=True),
    )

    @members.command(name="pending", description="Who is in the welcome gate")
    async def pending(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Everyone in the gate with where they stand (moderators)."""
        await self.kit.require_moderator(interaction)
        assert interaction.guild_id is not None
        stints = await self.services.members.pending(interaction.guild_id)
        await interaction.response.send_message(
            _render.pending(stints, interaction.locale), ephemeral=True
        )

    @members.command(name="approve", description="Admit someone from the welcome gate")
    @app_commands.describe(member="The person to admit")
    async def approve(
        self, interaction: discord.Interaction[VouchBot], member: discord.Member
    ) -> None:
        """Admit a person in the gate (moderators)."""
        await self.kit.require_moderator(interaction)
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        await _admission.admit(self.kit, interaction.guild, member.id, interaction.user.id)
        await interaction.followup.send(
            t("members.approved", interaction.locale, user=member.mention), ephemeral=True
        )

    @members.command(name="deny", description="Refuse someone in the welcome gate")
    @app_commands.describe(member="The person to refuse", reason="Why (kept for the moderators)")
    async def deny(
        self,
        interaction: discord.Interaction[VouchBot],
        member: discord.Member,
        reason: app_commands.Range[str, 1, 300],
    ) -> None:
        """Refuse and remove a person in the gate (moderators)."""
        await self.kit.require_moderator(interaction)
        assert interaction.guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        await _admission.deny(self.kit, interaction.guild, member.id, interaction.user.id, reason)
        await interaction.followup.send(
            t("members.denied", interaction.locale, user=member.mention), ephemeral=True
        )

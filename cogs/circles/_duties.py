"""Leader duties: the weekly list for each circle, /circle checkin and /circle duties, and the
review that flags quiet leaders to the founders (nothing is removed)."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.jobs import Job
from bot.services.leaders.duties import LIST_JOB, WEEK_JOB, ReviewFlag
from cogs.circles._duty_render import duty_body, fit, review_text
from cogs.sessions._kit import guild_member

log = logging.getLogger(__name__)


class DutyCommands(commands.Cog):
    """Mixed into the /circle group: for a circle's leader (checked at run time)."""

    bot: VouchBot

    async def _leader(
        self, interaction: discord.Interaction[VouchBot]
    ) -> tuple[discord.Guild, discord.Member]:
        """Active leaders only, even when an admin opened the command to everyone."""
        guild, member = guild_member(interaction)
        if not await self.bot.services.leader_duties.is_leader(guild.id, member.id):
            raise DomainError("circle.leaders_only")
        return guild, member

    @app_commands.command(
        name="checkin", description="Record that you reached out to a member of your circle"
    )
    @app_commands.describe(member="The member of your circle you reached out to")
    async def checkin(
        self, interaction: discord.Interaction[VouchBot], member: discord.Member
    ) -> None:
        """Records the check-in; the reply shows the circle's coverage."""
        guild, leader = await self._leader(interaction)
        done = await self.bot.services.leader_duties.checkin(
            guild.id, leader.id, member.id, member_is_bot=member.bot
        )
        await interaction.response.send_message(
            t(
                "circle.checkin.done",
                interaction.locale,
                member=member.mention,
                circle=done.circle_name,
                checked=done.coverage.checked_in,
                total=done.coverage.members,
                days=done.coverage.days,
            ),
            ephemeral=True,
        )

    @app_commands.command(name="duties", description="Your circle's list for this week")
    async def duties(self, interaction: discord.Interaction[VouchBot]) -> None:
        """The same list as the weekly DM, now and only for you."""
        guild, leader = await self._leader(interaction)
        lists = await self.bot.services.leader_duties.duty_lists(guild.id, leader.id)
        if not lists:
            raise DomainError("circle.none")
        locale = interaction.locale
        text = "\n\n".join(
            t("duties.heading", locale, circle=duty.circle_name) + "\n" + duty_body(duty, locale)
            for duty in lists
        )
        await interaction.response.send_message(fit(text), ephemeral=True)


class DutyRunner(commands.Cog):
    """Sends each leader their weekly list and posts the review, on durable weekly jobs."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services

    async def cog_load(self) -> None:
        """The weekly run and each leader's list are durable jobs."""
        self.bot.jobs.register(WEEK_JOB, self.run_week)
        self.bot.jobs.register(LIST_JOB, self.send_list)

    async def cog_unload(self) -> None:
        """Stop handling the jobs (they stay in the database)."""
        self.bot.jobs.unregister(WEEK_JOB)
        self.bot.jobs.unregister(LIST_JOB)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Arm each guild's weekly job if it has none (an armed one is never moved)."""
        for guild in self.bot.guilds:
            await self._arm(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """A new guild gets its weekly job."""
        await self._arm(guild)

    async def _arm(self, guild: discord.Guild) -> None:
        config = await self.services.config.get(guild.id)
        await self.services.leader_duties.arm(guild.id, config.timezone)
        self.bot.jobs.poke()

    # -- the weekly run ------------------------------------------------------------------------
    async def run_week(self, job: Job) -> None:
        """Arm next week, queue one list per leader, then review the leaders."""
        guild = self.bot.get_guild(job.guild_id or 0)
        if guild is None:
            return  # re-armed when the guild is back (on_ready / on_guild_join)
        config = await self.services.config.get(guild.id)
        if await self.services.leader_duties.start_week(guild.id, config.timezone):
            self.bot.jobs.poke()
        flags = await self.services.leader_duties.review(guild.id)
        if flags and not await self.post_review(guild, flags):
            await self.services.leader_duties.unflag(flags)

    async def send_list(self, job: Job) -> None:
        """One leader's list, by DM in their language; with closed DMs, a post mentioning only
        them (in their circle's thread, else the leaders channel) that points to /circle duties:
        the names stay private."""
        guild = self.bot.get_guild(job.guild_id or 0)
        if guild is None:
            return
        leader_id = int(job.payload["leader_id"])
        lists = await self.services.leader_duties.duty_lists(guild.id, leader_id)
        if not lists:
            return  # no longer a leader, or no circle any more
        locale = await self.bot.member_locale(leader_id, guild)
        delivered = True
        for duty in lists:
            body = duty_body(duty, locale)
            if not await self.bot.dm(
                guild, leader_id, "duties.dm", circle=duty.circle_name, body=body
            ):
                delivered = False
                break
        if delivered:
            return
        place = guild.get_channel_or_thread(lists[0].channel_id or 0)
        if not isinstance(place, discord.TextChannel | discord.Thread):
            place = await self._leaders_channel(guild)
        text = t("duties.fallback", await self.bot.guild_locale(guild))
        if place is None or not await self.bot.mention_post(place, [leader_id], text):
            await self.bot.log_line(guild, "duties.undelivered", leader=f"<@{leader_id}>")

    async def _leaders_channel(self, guild: discord.Guild) -> discord.TextChannel | None:
        config = await self.services.config.get(guild.id)
        channel = guild.get_channel(config.channels.get("leaders", 0))
        return channel if isinstance(channel, discord.TextChannel) else None

    async def post_review(self, guild: discord.Guild, flags: list[ReviewFlag]) -> bool:
        """Tell the founders in the leaders channel (else the log channel); False when neither
        took the post."""
        config = await self.services.config.get(guild.id)
        text = fit(review_text(flags, await self.bot.guild_locale(guild)))
        for purpose in ("leaders", "log"):
            channel = guild.get_channel(config.channels.get(purpose, 0))
            if not isinstance(channel, discord.TextChannel):
                continue
            try:
                await channel.send(text)
            except discord.HTTPException as error:
                log.warning("review post refused in %s (%s)", purpose, error.status)
                continue
            return True
        return False

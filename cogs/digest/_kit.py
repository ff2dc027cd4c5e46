"""Discord side effects of the weekly digest: its channel, the post, the DMs to members who
opted in, the founders' report, and the one warning when the channel can't be posted in.

The channel is the one chosen with `/setup digest channel:`, else the announcements channel; the
bot needs View Channel, Send Messages, Embed Links and Attach Files there. The post's first
message mentions the spotlighted member with an AllowedMentions naming only them; nothing else
in the digest pings anyone (names are text, embeds never ping).

DMs go out in a job of their own once the channel post is recorded, so they never hold the post
up: one member after another (DM_INTERVAL apart, well inside Discord's rate limits), each
recorded before its DM is sent so a restart resumes without sending anyone a second copy. The
digest is rendered once per language, not per member. Members whose DMs are closed are
mentioned, 40 per message, under a link to the digest in its channel (`bot.mention_post`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.charts import render_bar_chart, render_distribution
from bot.client import MENTIONS_PER_POST, VouchBot
from bot.i18n import Text, t
from bot.services.digest.models import DigestContent, DmOutcome, Run, Via
from bot.services.feedback.polls import Poll
from bot.services.feedback.surveys import SCALES
from cogs.digest._render import NameOf, Page, jump_url, local_date, render_digest
from cogs.health._render import health_embed
from cogs.polls._render import chart_subtitle

log = logging.getLogger(__name__)

#: What the bot needs in the digest channel.
NEEDED: tuple[str, ...] = ("view_channel", "send_messages", "embed_links", "attach_files")
DM_BATCH = MENTIONS_PER_POST
DM_INTERVAL = 0.2  # seconds between two members' DMs: ~10 requests/s at most
#: How many messages after a stale claim are searched for the digest it may have posted.
RECOVER_LOOKBACK = 50


@dataclass(frozen=True)
class Target:
    """Where the digest goes: the channel (None: missing or deleted) and what the bot lacks."""

    channel: discord.TextChannel | None
    missing: tuple[str, ...] = ()

    @property
    def postable(self) -> bool:
        """Whether the digest can be posted there."""
        return self.channel is not None and not self.missing


class DigestKit:
    """What the digest cogs do on Discord, in one place."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.services = bot.services
        self._claimed: set[tuple[int, str]] = set()  # (guild, week) claimed by this run

    # -- the channel ---------------------------------------------------------------------------
    async def target(self, guild: discord.Guild) -> Target:
        """The digest channel and the permissions the bot lacks in it."""
        settings = await self.services.digest.settings(guild.id)
        config = await self.services.config.get(guild.id)
        channel_id = settings.channel_id or config.channels.get("announcements")
        channel = guild.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            return Target(None)
        return Target(channel, missing_permissions(channel))

    async def tell_unpostable(self, guild: discord.Guild, target: Target) -> bool:
        """Tell the founders (log channel, else leaders channel) that the digest can't be posted;
        once until a digest goes out again or the settings change. True when told now."""
        if not await self.services.digest.tell_unpostable_once(guild.id):
            return False
        locale = await self.bot.guild_locale(guild)
        text = unpostable_text(target, locale)
        config = await self.services.config.get(guild.id)
        for purpose in ("log", "leaders"):
            channel = guild.get_channel(config.channels.get(purpose, 0))
            if isinstance(channel, discord.TextChannel) and channel != target.channel:
                try:
                    await channel.send(text)
                except discord.HTTPException:
                    continue
                return True
        log.warning("guild %s: the digest channel can't be posted in; nobody to tell", guild.id)
        return True

    # -- the post ------------------------------------------------------------------------------
    async def deliver(
        self, guild: discord.Guild, week: str, channel: discord.TextChannel
    ) -> discord.Message | None:
        """Post the claimed week's digest and record it (queueing the report and the DMs).
        None when Discord refused the channel: the claim is withdrawn, nothing was posted."""
        digest = self.services.digest
        content = await digest.issue(guild.id, week)
        assert content is not None, week
        locale = await self.bot.guild_locale(guild)
        pages = await self.render(guild, content, locale, ping=True)
        spotlighted = content.spotlight.member_id if content.spotlight else None
        try:
            first = await channel.send(
                pages[0].content,
                embeds=pages[0].embeds,
                files=pages[0].files(),
                allowed_mentions=discord.AllowedMentions(
                    everyone=False,
                    roles=False,
                    replied_user=False,
                    users=[discord.Object(spotlighted)] if spotlighted else False,
                ),
            )
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning("guild %s: digest refused in its channel (%s)", guild.id, error.code)
            await digest.release(guild.id, week)
            return None
        except Exception:
            # An outage or a timeout: Discord may or may not have posted it. Settled as after a
            # stop (found: recorded; not found: owed again). A cancellation leaves the claim to
            # the next start's `recover`.
            run = await digest.run(guild.id, week)
            if run is not None and run.status == "claimed":
                await self._settle(guild, run)
            raise
        for page in pages[1:]:
            try:
                await channel.send(embeds=page.embeds, files=page.files())
            except discord.HTTPException as error:
                log.warning("guild %s: part of the digest not posted (%s)", guild.id, error.status)
                break
        await digest.mark_sent(guild.id, week, channel.id, first.id, dms=not content.is_empty)
        self.bot.jobs.poke()
        return first

    async def claim(self, guild_id: int, week: str, via: Via) -> bool:
        """Claim the week before posting it (False when it is taken); remembered as this run's,
        so that `recover` never mistakes a digest being posted now for a stale claim."""
        if await self.services.digest.claim(guild_id, week, via) is None:
            return False
        self._claimed.add((guild_id, week))
        return True

    async def recover(self, guild: discord.Guild) -> None:
        """Settle the claims a stopped bot left: a digest found in its channel is recorded as
        sent (the report and the DMs follow); otherwise the claim is given back and the week
        goes out on schedule if it is still within its deadline."""
        for run in await self.services.digest.claimed(guild.id):
            if (guild.id, run.week) not in self._claimed:  # else being posted by this run
                await self._settle(guild, run)

    async def _settle(self, guild: discord.Guild, run: Run) -> None:
        """A claim whose post is in doubt: recorded as sent if the post is in the channel, else
        given back."""
        digest = self.services.digest
        found = await self._posted(guild, run)
        if found is None:
            log.info("guild %s: digest %s claimed but not posted; owed again", guild.id, run.week)
            await digest.release(guild.id, run.week)
            return
        content = await digest.issue(guild.id, run.week)
        empty = content is None or content.is_empty
        await digest.mark_sent(guild.id, run.week, found.channel.id, found.id, dms=not empty)
        log.info("guild %s: digest %s found posted; recorded", guild.id, run.week)

    async def _posted(self, guild: discord.Guild, run: Run) -> discord.Message | None:
        """The week's first digest message in the digest channel, posted since the claim (its
        heading is the same when rendered again from the claimed window)."""
        channel = (await self.target(guild)).channel
        content = await self.services.digest.issue(guild.id, run.week)
        if channel is None or content is None:
            return None
        locale = await self.bot.guild_locale(guild)
        pages = await self.render(guild, content, locale, ping=True, charts=False)
        heading = pages[0].content
        try:
            async for message in channel.history(limit=RECOVER_LOOKBACK, after=run.claimed_at):
                if message.author.id == guild.me.id and message.content == heading:
                    return message
        except discord.HTTPException as error:
            log.warning("guild %s: could not read the digest channel (%s)", guild.id, error.status)
        return None

    async def render(
        self,
        guild: discord.Guild,
        content: DigestContent,
        locale: str,
        *,
        ping: bool,
        charts: bool = True,
    ) -> list[Page]:
        """The digest's messages in a language, with the polls' charts (unless `charts` is
        False: the text alone)."""
        timezone = (await self.services.config.get(guild.id)).timezone
        return render_digest(
            content,
            guild_name=guild.name,
            timezone=timezone,
            locale=locale,
            name_of=namer(guild),
            charts=await self.charts(content, locale) if charts else {},
            ping_spotlight=ping,
        )

    async def charts(self, content: DigestContent, locale: str) -> dict[int, bytes]:
        """Each closed poll's chart (drawn in the charts process, off the event loop); a poll
        whose chart fails is shown without one."""
        drawn: dict[int, bytes] = {}
        for closed in content.polls:
            try:
                drawn[closed.poll.id] = await poll_chart(closed.poll, closed.counts, locale)
            except Exception:
                log.exception("poll %s: could not draw its chart for the digest", closed.poll.id)
        return drawn

    # -- the DMs -------------------------------------------------------------------------------
    async def send_dms(self, guild: discord.Guild, week: str) -> dict[int, str]:
        """The week's digest to each member who opted in, in their language; closed DMs get
        the channel fallback. Returns member -> outcome for this run."""
        digest = self.services.digest
        content, run = await digest.issue(guild.id, week), await digest.run(guild.id, week)
        if content is None or content.is_empty or run is None or run.channel_id is None:
            return {}
        config = await self.services.config.get(guild.id)
        role = config.roles.get("member")
        candidates = [
            m.id for m in guild.members if not m.bot and (role is None or m.get_role(role))
        ]
        recipients = await digest.dm_recipients(guild.id, week, candidates)
        rendered: dict[str, list[Page]] = {}
        done: dict[int, str] = {}
        for start in range(0, len(recipients), DM_BATCH):
            claimed = await digest.claim_dms(guild.id, week, recipients[start : start + DM_BATCH])
            outcomes: dict[int, DmOutcome] = {}
            closed: list[int] = []
            for user_id in claimed:
                locale = await self.bot.member_locale(user_id, guild)
                if locale not in rendered:
                    rendered[locale] = await self.render(guild, content, locale, ping=False)
                sent = await self._dm(user_id, rendered[locale])
                if sent is False:
                    closed.append(user_id)
                else:
                    outcomes[user_id] = "dm" if sent else "failed"
                await asyncio.sleep(DM_INTERVAL)
            if closed:
                posted = await self._fallback(guild, run.channel_id, run.message_id, closed)
                outcomes.update(dict.fromkeys(closed, "fallback" if posted else "failed"))
            await digest.record_dms(guild.id, week, outcomes)
            done.update(outcomes)
        return done

    async def _dm(self, user_id: int, pages: Sequence[Page]) -> bool | None:
        """True when sent, False when the member's DMs are closed, None on another failure."""
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            for page in pages:
                await user.send(page.content, embeds=page.embeds, files=page.files())
        except (discord.Forbidden, discord.NotFound):
            return False
        except discord.HTTPException as error:
            log.warning("could not DM the digest to %s (%s)", user_id, error.status)
            return None
        return True

    async def _fallback(
        self, guild: discord.Guild, channel_id: int, message_id: int | None, users: list[int]
    ) -> bool:
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            return False
        locale = await self.bot.guild_locale(guild)
        text = t("digest.dm.fallback", locale, url=jump_url(guild.id, channel_id, message_id))
        return await self.bot.mention_post(channel, users, text)

    # -- the founders' report ------------------------------------------------------------------
    async def post_report(self, guild: discord.Guild, week: str) -> discord.Message | None:
        """The week's health numbers and alerts, in the leaders channel (else the log channel),
        right after the digest."""
        run = await self.services.digest.run(guild.id, week)
        if run is None or run.status != "sent" or run.until is None:
            return None
        config = await self.services.config.get(guild.id)
        channel = next(
            (
                found
                for purpose in ("leaders", "log")
                if isinstance(
                    found := guild.get_channel(config.channels.get(purpose, 0)), discord.TextChannel
                )
            ),
            None,
        )
        if channel is None:
            log.info("guild %s: no leaders or log channel for the founders' report", guild.id)
            return None
        locale = await self.bot.guild_locale(guild)
        report = await self.services.health.weekly(guild.id, run.until)
        url = jump_url(guild.id, run.channel_id or 0, run.message_id)
        text = t(
            "digest.report.heading",
            locale,
            date=local_date(run.until, config.timezone, locale),
            url=url,
        )
        try:
            return await channel.send(text, embed=health_embed(report, "week", locale))
        except discord.HTTPException as error:
            log.warning("guild %s: founders' report not posted (%s)", guild.id, error.status)
            return None


def missing_permissions(channel: discord.TextChannel) -> tuple[str, ...]:
    """What the bot lacks in the channel to post the digest."""
    granted = channel.permissions_for(channel.guild.me)
    return tuple(name for name in NEEDED if not getattr(granted, name))


def unpostable_text(target: Target, locale: object) -> str:
    """Why the digest can't be posted, and how to fix it."""
    if target.channel is None:
        return t("digest.unpostable.missing_channel", locale)
    return t(
        "digest.unpostable.permissions",
        locale,
        channel=target.channel.mention,
        permissions=tuple(Text(f"permission.{name}") for name in target.missing),
    )


def namer(guild: discord.Guild) -> NameOf:
    """A member's display name as plain text (escaped); a mention, which never pings in an
    embed, for someone no longer in the server's cache."""

    def name_of(user_id: int) -> str:
        member = guild.get_member(user_id)
        if member is None:
            return f"<@{user_id}>"
        return discord.utils.escape_mentions(discord.utils.escape_markdown(member.display_name))

    return name_of


async def poll_chart(poll: Poll, counts: Sequence[int], locale: str) -> bytes:
    """A closed poll's chart, as its results post draws it: bars per option, or a survey's
    distribution with its score."""
    title = poll.question if len(poll.question) <= 120 else poll.question[:119] + "…"
    if poll.kind == "poll":
        return await render_bar_chart(title, poll.options, counts, locale)
    labels = [str(value) for value in SCALES[poll.kind]]
    subtitle = chart_subtitle(poll, counts, locale)
    return await render_distribution(title, labels, counts, locale, subtitle=subtitle)

"""The Bot subclass: intents, mentions, cogs, translator, error handler and command sync."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
import yarl
from discord.ext import commands

from bot.charts import shutdown_charts
from bot.i18n import catalogs_fingerprint, resolve_locale, t
from bot.scheduler import JobRunner
from bot.services import Services
from bot.settings import Settings
from bot.translator import CatalogTranslator
from bot.ui import ModalRouter, VouchTree

if TYPE_CHECKING:
    from bot.webhooks import WebhookServer

log = logging.getLogger(__name__)

MENTIONS_PER_POST = 40  # 40 mentions and a short text fit in one message
#: Discord unreachable when logging in (no network yet, DNS, an outage): tried again after
#: these many seconds, doubling up to the last.
LOGIN_RETRY_FIRST, LOGIN_RETRY_MAX = 2.0, 60.0
UNREACHABLE = (aiohttp.ClientConnectionError, TimeoutError, discord.DiscordServerError)

EXTENSIONS: tuple[str, ...] = (
    "cogs.setup",
    "cogs.privacy",
    "cogs.preferences",
    "cogs.membership",
    "cogs.referrals",
    "cogs.sessions",
    "cogs.polls",
    "cogs.feedback",
    "cogs.leaders",
    "cogs.circles",
    "cogs.health",
    "cogs.digest",
)

# Task names discord.py gives to the work it runs for us; awaited on shutdown so in-flight
# commands, clicks and event handlers finish before the database closes.
_IN_FLIGHT_PREFIXES = ("CommandTree-invoker", "discord-ui-", "discord.py: on_")


def intents() -> discord.Intents:
    """Only what the features need: no message content, no presences."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.members = True  # privileged: joins, leaves and role changes drive membership
    wanted.invites = True
    wanted.guild_scheduled_events = True
    wanted.voice_states = True
    # Not privileged: who wrote in which channel and when, with empty text (engagement signals
    # count messages; message_content is never asked for).
    wanted.guild_messages = True
    return wanted


class VouchBot(commands.Bot):
    """The bot. It holds the services; cogs reach them as `bot.services`."""

    def __init__(self, settings: Settings, services: Services) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=VouchTree,
            max_messages=None,
            chunk_guilds_at_startup=True,
        )
        self.settings = settings
        self.services = services
        self.jobs = JobRunner(services.jobs, services.clock)
        self.modals = ModalRouter()
        self.runner: asyncio.Task[None]  # set by the composition root once started
        self.webhooks: WebhookServer | None = None  # the store webhook receiver, when configured
        self._closing = asyncio.Event()  # set by close(): a login retry stops waiting

    async def setup_hook(self) -> None:
        """Before the gateway connects: find it, load cogs, translator, sync commands, and start
        the store webhook receiver when it is configured."""
        if self.settings.discord_api_base_url:
            _, url, _ = await self.http.get_bot_gateway()
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
            log.info("gateway discovered at %s", url)
        await self.tree.set_translator(CatalogTranslator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self.sync_commands_if_changed()
        secret = self.settings.shopify_webhook_secret
        if self.settings.webhook_port is not None and secret is not None:
            from bot.webhooks import WebhookServer  # aiohttp.web costs ~2 MiB: only when used

            self.webhooks = WebhookServer(
                self.services.shopify,
                secret.get_secret_value().encode(),
                host=self.settings.webhook_host,
                port=self.settings.webhook_port,
                dispatch=self.dispatch,
            )
            await self.webhooks.start()

    async def sync_commands_if_changed(self) -> bool:
        """Sync the command tree only when it or its translations changed (200 creates/day)."""
        guild = (
            discord.Object(self.settings.command_guild_id)
            if self.settings.command_guild_id
            else None
        )
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        # The untranslated commands plus the catalogs' digest say whether anything Discord shows
        # changed, without translating every command into every language at each start (the
        # translations are made, and the other languages' catalogs loaded, only to sync).
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(
            json.dumps([payload, catalogs_fingerprint()], sort_keys=True, default=str).encode()
        ).hexdigest()
        key = f"commands:{self.application_id}:{guild.id if guild else 'global'}"
        if await self.services.meta.get(key) == digest:
            log.info("command set unchanged; not syncing")
            return False
        synced = await self.tree.sync(guild=guild)
        await self.services.meta.put(key, digest)
        log.info("synced %d commands (%s)", len(synced), "guild" if guild else "global")
        return True

    async def guild_locale(self, guild: discord.Guild) -> str:
        """The language of the guild's public posts: its setting, else its Discord locale."""
        config = await self.services.config.get(guild.id)
        return resolve_locale(config.locale, guild.preferred_locale)

    async def member_locale(self, user_id: int, guild: discord.Guild | None = None) -> str:
        """The language for DMs: the person's choice, else their client's, else the guild's."""
        stored = await self.services.preferences.dm_language(user_id)
        if stored:
            return stored
        return await self.guild_locale(guild) if guild else resolve_locale(None)

    async def dm(self, guild: discord.Guild, user_id: int, key: str, **params: object) -> bool:
        """DM a person in their language (`guild` names the server in the text); False when
        their DMs are closed or Discord fails. Callers decide the fallback."""
        locale = await self.member_locale(user_id, guild)
        try:
            user = self.get_user(user_id) or await self.fetch_user(user_id)
            await user.send(t(key, locale, guild=guild.name, **params))
        except discord.HTTPException as error:
            if not isinstance(error, discord.Forbidden | discord.NotFound):
                log.warning("could not DM user %s (%s)", user_id, error.status)
            return False
        return True

    async def mention_post(
        self, place: discord.abc.Messageable, user_ids: Sequence[int], text: str
    ) -> bool:
        """The fallback for people whose DMs are closed: `text` posted in `place`, mentioning
        them (40 per message, so it fits Discord's 2,000 characters) and pinging only them.
        False when Discord refused a post."""
        for start in range(0, len(user_ids), MENTIONS_PER_POST):
            chunk = user_ids[start : start + MENTIONS_PER_POST]
            mentions = " ".join(f"<@{user_id}>" for user_id in chunk)
            try:
                await place.send(
                    f"{mentions}\n{text}"[:2000],
                    allowed_mentions=discord.AllowedMentions(
                        everyone=False,
                        roles=False,
                        users=[discord.Object(user_id) for user_id in chunk],
                    ),
                )
            except discord.HTTPException as error:
                log.warning("could not post a mention fallback (%s)", error.status)
                return False
        return True

    async def log_line(self, guild: discord.Guild, key: str, **params: object) -> None:
        """A line for the moderators in the log channel, in the server's language (if set)."""
        config = await self.services.config.get(guild.id)
        channel = guild.get_channel(config.channels.get("log", 0))
        if isinstance(channel, discord.TextChannel):
            locale = await self.guild_locale(guild)
            try:
                await channel.send(t(key, locale, **params))
            except discord.HTTPException:
                log.warning("could not post to the log channel of guild %s", guild.id)

    def in_flight(self) -> list[asyncio.Task[Any]]:
        """The commands, clicks and event handlers running now (other than the caller)."""
        current = asyncio.current_task()
        return [
            task
            for task in asyncio.all_tasks()
            if task is not current and task.get_name().startswith(_IN_FLIGHT_PREFIXES)
        ]

    async def finish_in_flight(self, timeout: float) -> None:
        """Wait (bounded) for running commands, clicks and event handlers to finish."""
        pending = self.in_flight()
        if pending:
            log.info("waiting for %d in-flight tasks", len(pending))
            _, still = await asyncio.wait(pending, timeout=timeout)
            for task in still:
                task.cancel()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Modal submissions go to the ModalRouter (see `bot.ui.show_modal`); every interaction
        tells us the language of the person's Discord client, used for their DMs until they
        choose one with /language."""
        await self.modals.dispatch(interaction)
        try:
            await self.services.preferences.saw_locale(
                interaction.user.id, interaction.locale.value
            )
        except Exception:
            log.exception("could not remember the locale of user %s", interaction.user.id)

    async def on_ready(self) -> None:
        """Once the guild cache is full: (re)arm the durable jobs."""
        log.info("ready as %s in %d guilds", self.user, len(self.guilds))
        self.jobs.start()

    async def start(self, token: str, *, reconnect: bool = True) -> None:
        """Log in, then hold the gateway connection (discord.py reconnects that by itself).
        Logging in is retried while Discord can't be reached, one warning line each time,
        rather than the process dying on a machine whose network comes up after it."""
        delay = LOGIN_RETRY_FIRST
        while True:
            try:
                await self.login(token)
                break
            except UNREACHABLE as error:
                await self.http.close()  # a fresh session (and connector) for the next try
                self.http.connector = discord.utils.MISSING
                log.warning(
                    "cannot reach Discord to log in (%s); trying again in %.0f s",
                    error or type(error).__name__,
                    delay,
                )
                with contextlib.suppress(TimeoutError):  # close() ends the wait at once
                    async with asyncio.timeout(delay):
                        await self._closing.wait()
                if self._closing.is_set():
                    return
                delay = min(delay * 2, LOGIN_RETRY_MAX)
        await self.connect(reconnect=reconnect)

    async def close(self) -> None:
        """Stop the webhook receiver and the job runner (letting running work finish), then
        disconnect."""
        self._closing.set()
        if self.webhooks is not None:
            await self.webhooks.stop()
        await self.jobs.stop()
        await shutdown_charts()
        await super().close()

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        """Gateway event handler errors: log them; there is no user to answer."""
        log.exception("error in event %s", event_method)  # noqa: LOG004 (called in except)

"""The gate: a persistent panel in the welcome channel, the house rules, the story modal, and the
moderators' approval card. Every custom_id is user input: callbacks re-read and re-check."""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from bot.client import VouchBot
from bot.errors import DomainError
from bot.i18n import t
from bot.services.membership.members import ANSWER_MAX
from bot.ui import VouchView, guarded, show_modal
from cogs.membership import _admission
from cogs.membership._kit import MembershipKit

log = logging.getLogger(__name__)

RULES_ID = "gate:rules"
STORY_ID = "gate:story"
STORY_MODAL_ID = "gate:story-modal"
DENY_MODAL_PATTERN = r"gate:deny-reason:(\d+)(?::(\d+))?"


def kit_of(interaction: discord.Interaction[VouchBot]) -> MembershipKit:
    """The membership kit, from the loaded cog."""
    cog: Any = interaction.client.get_cog("Gate")
    if cog is None:
        raise DomainError("errors.unavailable")
    kit: MembershipKit = cog.kit
    return kit


def guild_of(interaction: discord.Interaction[VouchBot]) -> discord.Guild:
    """The interaction's guild (components of the gate only exist in guilds)."""
    if interaction.guild is None:
        raise DomainError("errors.guild_only")
    return interaction.guild


async def rules_text(kit: MembershipKit, guild_id: int, locale: object) -> tuple[str, int]:
    """The house rules (custom, or the localized default) and their version."""
    settings = await kit.services.membership.get(guild_id)
    return settings.rules_text or t("gate.rules.default", locale), settings.rules_version


class GatePanel(VouchView):
    """The panel: one message for everyone; each press acts on the presser's own record."""

    def __init__(self, locale: object = None) -> None:
        super().__init__(timeout=None)
        rules = discord.ui.Button[GatePanel](
            label=t("gate.panel.rules_button", locale),
            custom_id=RULES_ID,
            style=discord.ButtonStyle.secondary,
            emoji="📜",
        )
        story = discord.ui.Button[GatePanel](
            label=t("gate.panel.story_button", locale),
            custom_id=STORY_ID,
            style=discord.ButtonStyle.primary,
            emoji="👋",
        )
        rules.callback = self.show_rules  # type: ignore[method-assign,assignment]
        story.callback = self.open_story  # type: ignore[method-assign,assignment]
        self.add_item(rules)
        self.add_item(story)

    async def show_rules(self, interaction: discord.Interaction[VouchBot]) -> None:
        """The house rules, only to the presser, with an accept button for this version."""
        kit, guild = kit_of(interaction), guild_of(interaction)
        await _require_pending(kit, guild.id, interaction.user.id)
        # The gate DMs this person later (reminder, refusal): remember their client's language.
        await kit.services.preferences.saw_locale(interaction.user.id, interaction.locale.value)
        text, version = await rules_text(kit, guild.id, interaction.locale)
        view = VouchView(timeout=None)
        view.add_item(AcceptRules(version, interaction.locale))
        embed = discord.Embed(title=t("gate.rules.title", interaction.locale), description=text)
        await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def open_story(self, interaction: discord.Interaction[VouchBot]) -> None:
        """The "Introduce yourself" modal, once the rules are accepted."""
        kit, guild = kit_of(interaction), guild_of(interaction)
        stint = await _require_pending(kit, guild.id, interaction.user.id)
        if stint.rules_version is None:
            raise DomainError("gate.rules_first")
        if stint.answers is not None:
            raise DomainError("gate.already_submitted")
        labels = await _admission.questions(kit, guild.id, interaction.locale)
        await show_modal(interaction, StoryModal(labels, interaction.locale))


async def _require_pending(kit: MembershipKit, guild_id: int, user_id: int) -> Any:
    stint = await kit.services.members.current(guild_id, user_id)
    if stint is None or stint.status != "pending":
        raise DomainError("gate.not_pending")
    return stint


class AcceptRules(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"gate:accept:(?P<version>\d+)"
):
    """ "I accept" under a given version of the rules."""

    def __init__(self, version: int, locale: object = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=t("gate.rules.accept_button", locale),
                style=discord.ButtonStyle.success,
                custom_id=f"gate:accept:{version}",
            )
        )
        self.version = version

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> AcceptRules:
        """Rebuild from the custom_id."""
        return cls(int(match["version"]), interaction.locale)

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Store the acceptance of the current version (a stale button asks to read again)."""
        kit, guild = kit_of(interaction), guild_of(interaction)
        settings = await kit.services.membership.get(guild.id)
        if self.version != settings.rules_version:
            raise DomainError("gate.rules_changed")
        await kit.services.members.accept_rules(guild.id, interaction.user.id, self.version)
        await interaction.response.edit_message(
            content=t("gate.rules.accepted", interaction.locale), embed=None, view=None
        )


class StoryModal(discord.ui.Modal):
    """Three length-limited questions. Only its layout: the submission is handled by
    the bot's ModalRouter (see `bot.ui.show_modal`), for everyone at once and after restarts."""

    def __init__(self, labels: list[str], locale: object) -> None:
        super().__init__(title=t("gate.story.title", locale)[:45], custom_id=STORY_MODAL_ID)
        for n, label in enumerate(labels):
            self.add_item(
                discord.ui.TextInput[StoryModal](
                    label=label[:45],
                    style=discord.TextStyle.paragraph,
                    max_length=ANSWER_MAX,
                    required=True,
                    custom_id=f"gate:answer:{n}",
                )
            )


async def submit_story(interaction: discord.Interaction[VouchBot], values: dict[str, str]) -> None:
    """Store the story once, post the introduction, then admit or ask the moderators.

    Once the answers are stored, the person always hears back: a post or card Discord refuses
    is logged, and moderators still find them with `/members pending|approve|deny`.
    """
    kit, guild = kit_of(interaction), guild_of(interaction)
    answers = [values.get(f"gate:answer:{n}", "") for n in range(3)]
    stint = await kit.services.members.submit_answers(guild.id, interaction.user.id, answers)
    await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        await _admission.post_introduction(kit, guild, stint)
    except Exception:
        log.exception("guild %s: could not post the introduction of %s", guild.id, stint.user_id)
    if await kit.services.members.admission(stint) == "auto":
        await _admission.admit(kit, guild, stint.user_id)
        key = "gate.story.admitted"
    else:
        view = VouchView(timeout=None)
        view.add_item(ApprovalButton("approve", stint.user_id, stint_id=stint.id))
        view.add_item(ApprovalButton("deny", stint.user_id, stint_id=stint.id))
        try:
            await _admission.post_approval_card(kit, guild, stint, view)
        except Exception:
            log.exception("guild %s: could not post the card of %s", guild.id, stint.user_id)
        key = "gate.story.in_review"
    await interaction.followup.send(t(key, interaction.locale), ephemeral=True)


class ApprovalButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"gate:(?P<action>approve|deny):(?P<user_id>\d+)(?::(?P<stint_id>\d+))?",
):
    """Approve or Deny on the moderators' card; only moderators, checked when pressed.

    The card acts on one stint only: a card from an earlier stay of the same person is stale.
    Cards posted before the stint id was in the custom_id are matched by their message id.
    """

    def __init__(
        self, action: str, user_id: int, locale: object = None, *, stint_id: int | None = None
    ) -> None:
        approve = action == "approve"
        suffix = f":{stint_id}" if stint_id is not None else ""
        super().__init__(
            discord.ui.Button(
                label=t("gate.card.approve" if approve else "gate.card.deny", locale),
                style=discord.ButtonStyle.success if approve else discord.ButtonStyle.danger,
                custom_id=f"gate:{action}:{user_id}{suffix}",
            )
        )
        self.action = action
        self.user_id = user_id
        self.stint_id = stint_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> ApprovalButton:
        """Rebuild from the custom_id."""
        stint_id = int(match["stint_id"]) if match["stint_id"] else None
        return cls(match["action"], int(match["user_id"]), interaction.locale, stint_id=stint_id)

    @guarded
    async def callback(self, interaction: discord.Interaction[VouchBot]) -> None:  # type: ignore[override]
        """Approve now, or ask the moderator for the reason of a denial."""
        kit, guild = kit_of(interaction), guild_of(interaction)
        await kit.require_moderator(interaction)
        stint = await _require_pending(kit, guild.id, self.user_id)
        message_id = interaction.message.id if interaction.message else None
        if stint.id != self.stint_id and not (
            self.stint_id is None and stint.approval_message_id == message_id
        ):
            raise DomainError("gate.card.stale")
        if self.action == "deny":
            await show_modal(interaction, DenyModal(self.user_id, stint.id, interaction.locale))
            return
        await interaction.response.defer()
        await _admission.admit(kit, guild, self.user_id, interaction.user.id, stint_id=stint.id)
        await close_card(interaction, "gate.card.approved_by")


class DenyModal(discord.ui.Modal):
    """The reason for a denial (kept in the log, not sent to the person). Layout only."""

    def __init__(self, user_id: int, stint_id: int, locale: object) -> None:
        super().__init__(
            title=t("gate.deny.title", locale)[:45],
            custom_id=f"gate:deny-reason:{user_id}:{stint_id}",
        )
        self.add_item(
            discord.ui.TextInput[DenyModal](
                label=t("gate.deny.reason", locale)[:45],
                style=discord.TextStyle.paragraph,
                max_length=300,
                required=True,
                custom_id="gate:deny:reason",
            )
        )


async def submit_denial(
    interaction: discord.Interaction[VouchBot],
    user_id: int,
    stint_id: int | None,
    values: dict[str, str],
) -> None:
    """Refuse and remove the person (of that stint, when known), then close the card."""
    kit, guild = kit_of(interaction), guild_of(interaction)
    await kit.require_moderator(interaction)
    reason = " ".join(values.get("gate:deny:reason", "").split())[:300]
    if not reason:
        raise DomainError("gate.deny.reason_required")
    await interaction.response.defer()
    await _admission.deny(kit, guild, user_id, interaction.user.id, reason, stint_id=stint_id)
    await close_card(interaction, "gate.card.denied_by")


def route_modals(bot: VouchBot) -> None:
    """Hand the gate's forms to the bot's modal router."""

    async def story(
        interaction: discord.Interaction[VouchBot], _: re.Match[str], values: dict[str, str]
    ) -> None:
        await submit_story(interaction, values)

    async def denial(
        interaction: discord.Interaction[VouchBot], match: re.Match[str], values: dict[str, str]
    ) -> None:
        await submit_denial(interaction, int(match[1]), int(match[2]) if match[2] else None, values)

    bot.modals.route(re.escape(STORY_MODAL_ID), story)
    bot.modals.route(DENY_MODAL_PATTERN, denial)


def unroute_modals(bot: VouchBot) -> None:
    """Stop handling the gate's forms (the extension unloads)."""
    bot.modals.unroute(re.escape(STORY_MODAL_ID))
    bot.modals.unroute(DENY_MODAL_PATTERN)


async def close_card(interaction: discord.Interaction[VouchBot], key: str) -> None:
    """Disable the card's buttons and say who decided."""
    message = interaction.message
    if message is None:
        return
    locale = await interaction.client.guild_locale(guild_of(interaction))
    await message.edit(
        content=t(key, locale, moderator=f"<@{interaction.user.id}>"),
        view=None,
        allowed_mentions=discord.AllowedMentions.none(),
    )


async def post_panel(kit: MembershipKit, guild: discord.Guild) -> discord.Message:
    """Post the panel in the welcome channel, or edit the one already there."""
    config = await kit.services.config.get(guild.id)
    channel = guild.get_channel(config.channels.get("welcome", 0))
    if not isinstance(channel, discord.TextChannel):
        raise DomainError("membership.no_welcome_channel")
    locale = await kit.bot.guild_locale(guild)
    embed = discord.Embed(
        title=t("gate.panel.title", locale, guild=guild.name),
        description=t("gate.panel.body", locale),
    )
    settings = await kit.services.membership.get(guild.id)
    view = GatePanel(locale)
    if settings.panel_channel_id == channel.id and settings.panel_message_id:
        try:
            message = await channel.fetch_message(settings.panel_message_id)
            return await message.edit(embed=embed, view=view)
        except discord.NotFound:
            pass
    message = await channel.send(embed=embed, view=view)
    await kit.services.membership.set_panel(guild.id, channel.id, message.id)
    return message

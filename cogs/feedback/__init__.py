"""/feedback: a board where members submit ideas and problems, upvote them, and hear back when a
moderator moves them along (planned, shipped, declined...)."""

from __future__ import annotations

import io
import re

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import VouchBot
from bot.i18n import t
from bot.services.feedback.board import DETAILS_MAX, PRODUCT_MAX, TITLE_MAX, FeedbackItem
from bot.ui import show_modal
from cogs.feedback._buttons import UpvoteButton, item_view
from cogs.feedback._kit import FeedbackKit, Told
from cogs.feedback._render import export_csv, item_embed, post_url, status_text, top_text

__all__ = ["Feedback"]

SUBMIT_FORM = r"feedback:submit"
STATUS_CHOICES = [
    app_commands.Choice(name="new", value="new"),
    app_commands.Choice(name="under review", value="under_review"),
    app_commands.Choice(name="planned", value="planned"),
    app_commands.Choice(name="in progress", value="in_progress"),
    app_commands.Choice(name="shipped", value="shipped"),
    app_commands.Choice(name="declined", value="declined"),
]


class SubmitForm(discord.ui.Modal):
    """The feedback form (its submission is routed by custom_id, see bot.ui.show_modal)."""

    def __init__(self, locale: object) -> None:
        super().__init__(title=t("feedback.form.title", locale)[:45], custom_id="feedback:submit")
        self.add_item(
            discord.ui.TextInput(
                label=t("feedback.form.product", locale)[:45],
                placeholder=t("feedback.form.product_hint", locale)[:100],
                max_length=PRODUCT_MAX,
                custom_id="product",
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label=t("feedback.form.title_label", locale)[:45],
                placeholder=t("feedback.form.title_hint", locale)[:100],
                max_length=TITLE_MAX,
                custom_id="title",
            )
        )
        self.add_item(
            discord.ui.TextInput(
                label=t("feedback.form.details", locale)[:45],
                placeholder=t("feedback.form.details_hint", locale)[:100],
                style=discord.TextStyle.paragraph,
                max_length=DETAILS_MAX,
                required=False,
                custom_id="details",
            )
        )


@app_commands.guild_only()
class Feedback(
    commands.GroupCog,
    group_name="feedback",
    group_description="Product feedback: ideas and problems, upvoted and followed up",
):
    """Feedback commands, the form and the Upvote button."""

    def __init__(self, bot: VouchBot) -> None:
        self.bot = bot
        self.kit = FeedbackKit(bot)
        super().__init__()

    async def cog_load(self) -> None:
        """The form is routed by custom_id, so it works across restarts."""
        self.bot.modals.route(SUBMIT_FORM, self.submit_form)

    async def cog_unload(self) -> None:
        """Stop handling the form."""
        self.bot.modals.unroute(SUBMIT_FORM)

    # -- submitting ----------------------------------------------------------------------------
    @app_commands.command(name="submit", description="Suggest an idea or report a problem")
    async def submit(self, interaction: discord.Interaction[VouchBot]) -> None:
        """Open the form (once we know there is a board to post on)."""
        guild = await self.kit.require_member(interaction)
        await self.kit.board_channel(guild)
        await show_modal(interaction, SubmitForm(interaction.locale))

    async def submit_form(
        self,
        interaction: discord.Interaction[VouchBot],
        match: re.Match[str],
        values: dict[str, str],
    ) -> None:
        """Store the item and post it on the board; the member gets the link."""
        guild = await self.kit.require_member(interaction)
        channel = await self.kit.board_channel(guild)
        item = await self.bot.services.board.submit(
            guild.id,
            interaction.user.id,
            values.get("product", ""),
            values.get("title", ""),
            values.get("details", ""),
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        item = await self.kit.post(guild, channel, item)
        await interaction.followup.send(
            t("feedback.submitted", interaction.locale, id=item.id, url=post_url(guild.id, item)),
            ephemeral=True,
        )

    # -- upvotes -------------------------------------------------------------------------------
    async def press_upvote(self, interaction: discord.Interaction[VouchBot], item_id: int) -> None:
        """One upvote per member (a second press takes it back); not on one's own item."""
        guild = await self.kit.require_member(interaction)
        item, added = await self.bot.services.board.upvote(
            guild.id,
            item_id,
            interaction.user.id,
            via_message=interaction.message.id if interaction.message else None,
        )
        locale = await self.bot.guild_locale(guild)
        await interaction.response.edit_message(
            embed=item_embed(item, locale), view=item_view(item, locale)
        )
        key = "feedback.upvote.added" if added else "feedback.upvote.removed"
        await interaction.followup.send(t(key, interaction.locale), ephemeral=True)

    # -- moderators ----------------------------------------------------------------------------
    @app_commands.command(name="status", description="Move a feedback item along (moderators)")
    @app_commands.describe(
        item="The item (type a word of its title, or its number)",
        status="Its new status",
        note="A few words for the people who asked (shown on the post)",
    )
    @app_commands.choices(status=STATUS_CHOICES)
    async def status(
        self,
        interaction: discord.Interaction[VouchBot],
        item: int,
        status: app_commands.Choice[str],
        note: app_commands.Range[str, 1, 500] | None = None,
    ) -> None:
        """The post shows the new status; the submitter and the upvoters are told."""
        guild = await self.kit.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        update = await self.bot.services.board.set_status(
            guild.id, item, interaction.user.id, status.value, note
        )
        await self.kit.refresh(guild, update.item)
        told = await self.kit.tell(guild, update)
        await interaction.followup.send(
            status_reply(update.item, told, interaction.locale),
            ephemeral=True,
        )

    @app_commands.command(name="export", description="Every feedback item as a CSV file")
    async def export(self, interaction: discord.Interaction[VouchBot]) -> None:
        """One row per item, with its upvotes and latest note (moderators)."""
        guild = await self.kit.require_moderator(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        services = self.bot.services
        items = await services.board.export(guild.id)
        stamp = services.clock().strftime("%Y-%m-%d")
        file = discord.File(io.BytesIO(export_csv(guild.id, items)), f"feedback-{stamp}.csv")
        await interaction.followup.send(
            t("feedback.export.done", interaction.locale, count=len(items)),
            file=file,
            ephemeral=True,
        )

    # -- everyone ------------------------------------------------------------------------------
    @app_commands.command(name="top", description="The most upvoted feedback")
    @app_commands.describe(product="Only this product", status="Only items with this status")
    @app_commands.choices(status=STATUS_CHOICES)
    async def top(
        self,
        interaction: discord.Interaction[VouchBot],
        product: app_commands.Range[str, 1, 80] | None = None,
        status: app_commands.Choice[str] | None = None,
    ) -> None:
        """The ten most upvoted items (filtered), with links to their posts."""
        guild = await self.kit.require_member(interaction)
        items = await self.bot.services.board.top(
            guild.id, product=product, status=status.value if status else None
        )
        await interaction.response.send_message(
            top_text(guild.id, items, interaction.locale), ephemeral=True
        )

    # -- autocomplete --------------------------------------------------------------------------
    @status.autocomplete("item")
    async def item_choices(
        self, interaction: discord.Interaction[VouchBot], current: str
    ) -> list[app_commands.Choice[int]]:
        """Recent items of this server, by number and title."""
        if interaction.guild is None:
            return []
        items = await self.bot.services.board.recent(interaction.guild.id, current)
        return [
            app_commands.Choice(
                name=t(
                    "feedback.choice",
                    interaction.locale,
                    id=item.id,
                    title=item.title,
                    status=status_text(item.status),
                )[:100],
                value=item.id,
            )
            for item in items
        ]

    @top.autocomplete("product")
    async def product_choices(
        self, interaction: discord.Interaction[VouchBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """The products people gave feedback on."""
        if interaction.guild is None:
            return []
        names = await self.bot.services.board.products(interaction.guild.id, current)
        return [app_commands.Choice(name=name[:100], value=name) for name in names]


def status_reply(item: FeedbackItem, told: Told, locale: object) -> str:
    """What the moderator sees: the new status, and who was told how."""
    text = t(
        "feedback.status.done",
        locale,
        id=item.id,
        title=discord.utils.escape_mentions(item.title),
        status=status_text(item.status),
        dm=len(told.dm),
        thread=len(told.thread),
        off=len(told.off),
    )
    if told.failed:
        text += "\n" + t("feedback.status.unreached", locale, count=len(told.failed))
    return text


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    await bot.add_cog(Feedback(bot))
    bot.add_dynamic_items(UpvoteButton)

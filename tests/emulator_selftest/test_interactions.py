"""Slash commands, defers, followups, persistent buttons, modals and the ack rules."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands

from tests.emulator import Emulator, StandardGuild
from tests.emulator.client import connected_client

from .helpers import make_bot


class Panel(discord.ui.View):
    """A persistent view."""

    def __init__(self) -> None:
        super().__init__(timeout=None)
        self.pressed: asyncio.Queue[int] = asyncio.Queue()

    @discord.ui.button(label="Vouch", custom_id="panel:vouch")
    async def vouch(
        self, interaction: discord.Interaction, button: discord.ui.Button[Panel]
    ) -> None:
        await interaction.response.send_message(f"thanks {interaction.locale}", ephemeral=True)
        self.pressed.put_nowait(interaction.user.id)


class Intro(discord.ui.Modal, title="Introduce"):
    """A two-field modal."""

    name = discord.ui.TextInput(label="Name", max_length=50)
    why = discord.ui.TextInput(label="Why", style=discord.TextStyle.paragraph, required=False)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            f"{self.name.value}: {self.why.value}", ephemeral=True
        )


def build_bot(std: StandardGuild, gate: asyncio.Event) -> discord.Client:
    bot = make_bot()
    panel = Panel()
    guild = discord.Object(std.id)
    setup = app_commands.Group(name="setup", description="Set things up")

    @setup.command(name="channel", description="Pick a channel")
    @app_commands.describe(purpose="What for", channel="Where")
    @app_commands.choices(purpose=[app_commands.Choice(name="Welcome", value="welcome")])
    async def setup_channel(
        interaction: discord.Interaction, purpose: str, channel: discord.TextChannel, count: int = 1
    ) -> None:
        await interaction.response.send_message(
            f"{purpose} -> {channel.name} x{count} ({interaction.locale.value})", ephemeral=True
        )

    @app_commands.command(name="slow", description="Defers then follows up")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("done", embed=discord.Embed(title="Result"), ephemeral=True)

    @app_commands.command(name="panel", description="Posts the panel")
    async def post_panel(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("panel", view=panel)

    @app_commands.command(name="intro", description="Opens a modal")
    async def intro(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Intro())

    @app_commands.command(name="hang", description="Never answers")
    async def hang(interaction: discord.Interaction) -> None:
        await gate.wait()

    @app_commands.command(name="twice", description="Acks twice")
    async def twice(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("one", ephemeral=True)
        interaction.response._response_type = None  # pretend a second process holds the token
        try:
            await interaction.response.send_message("two", ephemeral=True)
        except discord.HTTPException as exc:
            await interaction.followup.send(f"error {exc.code}", ephemeral=True)

    for cmd in (setup, slow, post_panel, intro, hang, twice):
        bot.tree.add_command(cmd, guild=guild)

    async def setup_hook() -> None:
        bot.add_view(panel)
        await bot.tree.sync(guild=guild)

    bot.setup_hook = setup_hook  # type: ignore[method-assign]
    bot.panel = panel  # type: ignore[attr-defined]
    return bot


@pytest.fixture
def std(emulator: Emulator) -> StandardGuild:
    return emulator.make_guild(locale="da")


async def test_slash_with_subcommand_and_resolved_channel(
    emulator: Emulator, std: StandardGuild
) -> None:
    async with connected_client(emulator, build_bot(std, asyncio.Event())):
        synced = {c["name"]: c for c in emulator.last_sync(std.id) or []}
        assert set(synced) == {"setup", "slow", "panel", "intro", "hang", "twice"}
        assert emulator.command_creates(std.id) == 6
        rec = await emulator.slash(
            std.id,
            std.regular.id,
            "setup",
            ["channel"],
            {"purpose": "welcome", "channel": std.channel.id},
            locale="fr",
        )
        msg = await rec.wait_response()
        assert rec.ack is not None and rec.ack.type == 4 and rec.is_ephemeral
        assert msg.flags & 64 and msg.content == "welcome -> general x1 (fr)"
        with pytest.raises(LookupError, match="not synced"):
            await emulator.slash(std.id, std.regular.id, "nope")
        with pytest.raises(LookupError, match="choices"):
            await emulator.slash(
                std.id,
                std.regular.id,
                "setup",
                "channel",
                {"purpose": "other", "channel": std.channel.id},
            )


async def test_defer_then_followup_replaces_thinking(
    emulator: Emulator, std: StandardGuild
) -> None:
    async with connected_client(emulator, build_bot(std, asyncio.Event())):
        rec = await emulator.slash(std.id, std.regular.id, "slow")
        ack = await rec.wait_ack()
        assert ack.type == 5 and ack.ephemeral
        follow = await rec.wait_followup()
        assert follow is rec.response and not follow.flags & 128 and follow.ephemeral
        assert rec.text() == "done\nResult"


async def test_persistent_button_click(emulator: Emulator, std: StandardGuild) -> None:
    bot = build_bot(std, asyncio.Event())
    async with connected_client(emulator, bot):
        rec = await emulator.slash(std.id, std.owner.id, "panel")
        panel_msg = await rec.wait_response()
        assert not panel_msg.ephemeral
        click = await emulator.click(panel_msg.id, "panel:vouch", std.regular.id, locale="pt-BR")
        reply = await click.wait_response()
        assert reply.content == "thanks pt-BR" and click.is_ephemeral
        assert await bot.panel.pressed.get() == std.regular.id  # type: ignore[attr-defined]
        with pytest.raises(LookupError):
            await emulator.click(panel_msg.id, "panel:missing", std.regular.id)


async def test_modal_open_and_submit(emulator: Emulator, std: StandardGuild) -> None:
    async with connected_client(emulator, build_bot(std, asyncio.Event())):
        rec = await emulator.slash(std.id, std.regular.id, "intro")
        assert (await rec.wait_ack()).type == 9 and rec.modal is not None
        assert rec.modal["title"] == "Introduce"
        sub = await emulator.submit_modal(rec, {"Name": "Ada", "Why": "kind"})
        assert (await sub.wait_response()).content == "Ada: kind"


async def test_unacknowledged_interaction_fails_after_deadline(
    emulator: Emulator, std: StandardGuild
) -> None:
    emulator.ack_deadline = 0.2
    gate = asyncio.Event()
    async with connected_client(emulator, build_bot(std, gate)):
        emulator.expect_violation(r"not acknowledged within 0\.2s")
        rec = await emulator.slash(std.id, std.regular.id, "hang")
        with pytest.raises(AssertionError, match="never acknowledged"):
            await rec.wait_ack(timeout=2)
        assert rec.failed and any("not acknowledged" in v for v in emulator.violations)
        gate.set()


async def test_second_acknowledgement_is_40060(emulator: Emulator, std: StandardGuild) -> None:
    async with connected_client(emulator, build_bot(std, asyncio.Event())):
        emulator.expect_violation("40060")
        rec = await emulator.slash(std.id, std.regular.id, "twice")
        follow = await rec.wait_followup()
        assert follow.content == "error 40060"
        assert [c.status for c in emulator.calls_matching("POST", "/callback$")] == [200, 400]

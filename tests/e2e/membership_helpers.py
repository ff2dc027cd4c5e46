"""A configured community for membership flows: roles, channels, the gate panel, a sponsor."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.services.guild_config import GuildConfig
from tests.emulator import Emulator, InteractionRecord, Message, User
from tests.harness import BotHarness

from .helpers import reply


@dataclass
class Community:
    """The harness plus what /setup auto and /setup panel created."""

    h: BotHarness
    emu: Emulator
    config: GuildConfig
    panel_id: int
    sponsor: int

    @property
    def guild_id(self) -> int:
        return self.h.guild.id

    def role(self, purpose: str) -> int:
        return self.config.roles[purpose]

    def channel(self, purpose: str) -> int:
        return self.config.channels[purpose]

    def roles_of(self, user_id: int) -> set[int]:
        member = self.emu.state.guilds[self.guild_id].members.get(user_id)
        return set(member.roles) if member else set()

    def is_in_guild(self, user_id: int) -> bool:
        return user_id in self.emu.state.guilds[self.guild_id].members

    async def introduce(self, name: str = "Maya", sponsor: int | None = None) -> Message:
        rec = await self.h.slash(
            "introduce",
            None,
            {"name": name, "why": "She has worn our boots for ten years"},
            user_id=sponsor or self.sponsor,
        )
        return await reply(rec)

    async def join_through(self, code: str | None, user: User | None = None) -> User:
        user = user or self.emu.add_user(locale="fr")
        mark = self.emu.mark()
        await self.emu.member_join(self.guild_id, user.id, invite_code=code)
        # The bot records the join, then gives the Newcomer role (or removes the person).
        await self.emu.wait_for_call(
            "*", rf"^/guilds/\d+/members/{user.id}(/roles/\d+)?$", after=mark
        )
        return user

    async def pass_rules(self, user_id: int) -> str:
        """Open the rules and accept them; the text the ephemeral message becomes."""
        rules = await self.emu.click(self.panel_id, "gate:rules", user_id, locale="fr")
        shown = await reply(rules)
        accept = await self.emu.click(shown.id, "gate:accept:1", user_id, locale="fr")
        ack = await accept.wait_ack()
        assert ack.type == 7  # the rules message is updated in place
        return str(ack.data.get("content"))

    async def tell_story(self, user_id: int) -> InteractionRecord:
        opened = await self.emu.click(self.panel_id, "gate:story", user_id, locale="fr")
        await opened.wait_ack()
        assert opened.modal is not None, opened.text()
        submitted = await self.emu.submit_modal(
            opened,
            {
                "gate:answer:0": "A friend, @everyone knows her",
                "gate:answer:1": "The leather",
                "gate:answer:2": "Lyon",
            },
            user_id,
            locale="fr",
        )
        await submitted.wait_ack()
        return submitted


def card_button(card: Message, action: str) -> str:
    """The custom_id of a moderators' card button ("approve" or "deny")."""
    ids = [
        str(child["custom_id"])
        for row in card.components
        for child in row.get("components", [])
        if str(child.get("custom_id", "")).startswith(f"gate:{action}:")
    ]
    assert len(ids) == 1, card.components
    return ids[0]


def invite_code(text: str) -> str:
    """The code of the discord.gg link in a reply."""
    match = re.search(r"discord\.gg/([\w-]+)", text)
    assert match, text
    return match[1]


async def build_community(h: BotHarness) -> Community:
    """Run /setup auto and /setup panel, and make the standard guild's regular user a member."""
    emu = h.emu
    await reply(await h.slash("setup", "auto"))
    config = await h.bot.services.config.get(h.guild.id)
    sponsor = h.guild.regular.id
    await emu.update_member(h.guild.id, sponsor, roles=[config.roles["member"]])
    posted = await reply(await h.slash("setup", "panel"))
    panel = next(
        m
        for m in reversed(emu.messages_log)
        if m.channel_id == config.channels["welcome"] and m.components
    )
    assert str(panel.id) in posted.text()  # the reply links to the panel
    return Community(h=h, emu=emu, config=config, panel_id=panel.id, sponsor=sponsor)

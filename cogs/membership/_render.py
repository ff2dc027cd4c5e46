"""How membership lists read in a reply: one line per record, within one Discord message."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from bot.i18n import discord_timestamp, t
from bot.services.membership.models import Introduction, Stint

#: Below Discord's 2,000 characters per message, with room for the "… and N more" line.
REPLY_LIMIT = 1_900


def fit(lines: Sequence[str], locale: object, *, empty: str) -> str:
    """Join lines into one message; lines that don't fit are counted in a "… and N more" line."""
    if not lines:
        return t(empty, locale)
    kept: list[str] = []
    size = 0
    for index, line in enumerate(lines):
        more = t("list.more", locale, count=len(lines) - index)
        last = index == len(lines) - 1
        if size + len(line) + (0 if last else len(more) + 1) > REPLY_LIMIT:
            return "\n".join([*kept, more])
        kept.append(line)
        size += len(line) + 1
    return "\n".join(kept)


def describe(intro: Introduction, locale: object, *, show_invite: bool = False) -> str:
    """One line about an introduction: who, by whom, and where it stands.

    `show_invite` adds the invite's URL: only in the sponsor's own ephemeral list.
    """
    if intro.status == "waitlisted":
        state = t("intro.state.waitlisted", locale, position=intro.position or 0)
    elif intro.expires_at is not None:
        expires = discord_timestamp(intro.expires_at, "R")
        if show_invite and intro.invite_code:
            url = f"{discord.Invite.BASE}/{intro.invite_code}"
            state = t("intro.state.open_url", locale, url=url, expires=expires)
        else:
            state = t("intro.state.open", locale, expires=expires)
    else:
        state = t("intro.state.seated", locale)
    return t(
        "intro.line",
        locale,
        id=intro.id,
        name=intro.newcomer_name,
        sponsor=f"<@{intro.sponsor_id}>",
        state=state,
    )


def introductions(
    intros: Sequence[Introduction], locale: object, *, show_invite: bool = False
) -> str:
    """A list of introductions in one message."""
    lines = [describe(intro, locale, show_invite=show_invite) for intro in intros]
    return fit(lines, locale, empty="intro.none")


def pending(stints: Sequence[Stint], locale: object) -> str:
    """Everyone in the gate and the step they are at, in one message."""
    lines = [
        t(
            "members.pending.line",
            locale,
            user=f"<@{s.user_id}>",
            joined=discord_timestamp(s.joined_at, "R"),
            step=t(
                "members.step.review"
                if s.answers
                else "members.step.story"
                if s.rules_version
                else "members.step.rules",
                locale,
            ),
        )
        for s in stints
    ]
    return fit(lines, locale, empty="members.pending.none")

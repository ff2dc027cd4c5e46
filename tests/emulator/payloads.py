"""Serialisers producing the exact JSON shapes Discord sends (see discord/types/*.py)."""

from __future__ import annotations

from typing import Any

from .snowflake import iso, snowflake_time
from .state import (
    CATEGORY,
    DM,
    FORUM,
    PRIVATE_THREAD,
    STAGE,
    VOICE,
    Attachment,
    Channel,
    Guild,
    Invite,
    Member,
    Message,
    Role,
    ScheduledEvent,
    State,
    User,
    VoiceState,
)

JSON = dict[str, Any]


def user(u: User) -> JSON:
    """User object."""
    data: JSON = {
        "id": str(u.id),
        "username": u.username,
        "global_name": u.global_name,
        "discriminator": "0",
        "avatar": u.avatar,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }
    if u.bot:
        data["bot"] = True
    return data


def member(state: State, m: Member, *, with_user: bool = True) -> JSON:
    """Guild member object."""
    data: JSON = {
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in m.roles],
        "joined_at": iso(m.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": m.flags,
        "pending": m.pending,
        "communication_disabled_until": m.communication_disabled_until,
    }
    if with_user:
        data["user"] = user(state.users[m.user_id])
    return data


def role(r: Role) -> JSON:
    """Role object."""
    data: JSON = {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }
    if r.bot_id is not None:
        data["tags"] = {"bot_id": str(r.bot_id)}
    return data


def overwrites(c: Channel) -> list[JSON]:
    """Permission overwrites as Discord sends them."""
    return [
        {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
        for o in c.overwrites
    ]


def thread_member(
    state: State, thread: Channel, user_id: int, *, in_guild_create: bool = False
) -> JSON:
    """Thread member object (GUILD_CREATE's omits `id` and `user_id`)."""
    assert thread.thread is not None
    data: JSON = {"join_timestamp": iso(thread.thread.members[user_id]), "flags": 1}
    if not in_guild_create:
        data = {"id": str(thread.id), "user_id": str(user_id), **data}
    return data


def thread(state: State, c: Channel, *, in_guild_create: bool = False) -> JSON:
    """Thread channel object (types 10, 11, 12); `member` is the bot's thread member, if any."""
    info = c.thread
    assert info is not None and c.guild_id is not None
    meta: JSON = {
        "archived": info.archived,
        "auto_archive_duration": info.auto_archive_duration,
        "archive_timestamp": iso(info.archive_timestamp),
        "locked": info.locked,
        "create_timestamp": iso(info.created_at),
    }
    if c.type == PRIVATE_THREAD:
        meta["invitable"] = info.invitable
    data: JSON = {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "parent_id": str(c.parent_id),
        "owner_id": str(info.owner_id),
        "name": c.name,
        "last_message_id": str(c.last_message_id) if c.last_message_id else None,
        "rate_limit_per_user": c.rate_limit_per_user,
        "flags": 0,
        "message_count": info.message_count,
        "total_message_sent": info.total_message_sent,
        "member_count": min(len(info.members), 50),
        "thread_metadata": meta,
    }
    parent = state.channels.get(c.parent_id or 0)
    if parent is not None and parent.type == FORUM:
        data["applied_tags"] = [str(t) for t in info.applied_tags]
    bot_id = state.bot_user_id
    if bot_id is not None and bot_id in info.members:
        data["member"] = thread_member(state, c, bot_id, in_guild_create=in_guild_create)
    return data


def voice_state(state: State, g: Guild, vs: VoiceState, *, in_guild_create: bool = False) -> JSON:
    """Voice state; GUILD_CREATE's lack guild_id and member, VOICE_STATE_UPDATE's carry both."""
    data: JSON = {
        "channel_id": str(vs.channel_id),
        "user_id": str(vs.user_id),
        "session_id": vs.session_id,
        "deaf": vs.deaf,
        "mute": vs.mute,
        "self_deaf": vs.self_deaf,
        "self_mute": vs.self_mute,
        "self_video": vs.self_video,
        "suppress": vs.suppress,
        "request_to_speak_timestamp": vs.request_to_speak_timestamp,
    }
    if vs.self_stream:
        data["self_stream"] = True
    if not in_guild_create:
        data["guild_id"] = str(g.id)
        if vs.user_id in g.members:
            data["member"] = {
                **member(state, g.members[vs.user_id]),
                "deaf": vs.deaf,
                "mute": vs.mute,
            }
    return data


def channel(state: State, c: Channel) -> JSON:
    """Channel object for every supported type."""
    if c.thread is not None:
        return thread(state, c)
    last = str(c.last_message_id) if c.last_message_id else None
    if c.type == DM:
        return {
            "id": str(c.id),
            "type": DM,
            "last_message_id": last,
            "flags": 0,
            "recipients": [user(state.users[u]) for u in c.recipient_ids],
        }
    data: JSON = {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "position": c.position,
        "permission_overwrites": overwrites(c),
        "flags": 0,
        "parent_id": str(c.parent_id) if c.parent_id else None,
    }
    if c.type == CATEGORY:
        return data
    data.update(nsfw=c.nsfw, rate_limit_per_user=c.rate_limit_per_user, last_message_id=last)
    if c.type in (VOICE, STAGE):
        data.update(
            bitrate=c.bitrate, user_limit=c.user_limit, rtc_region=None, video_quality_mode=1
        )
        if c.type == STAGE:
            data["topic"] = c.topic
    else:
        data.update(topic=c.topic, default_thread_rate_limit_per_user=0)
    if c.type == FORUM:
        data.update(
            available_tags=[],
            default_reaction_emoji=None,
            default_sort_order=None,
            default_forum_layout=0,
            default_auto_archive_duration=4320,
        )
    return data


def partial_guild(g: Guild) -> JSON:
    """Partial guild used in invites."""
    return {
        "id": str(g.id),
        "name": g.name,
        "splash": None,
        "banner": None,
        "icon": None,
        "description": g.description,
        "features": list(g.features),
        "verification_level": 0,
        "vanity_url_code": g.vanity_url_code,
        "nsfw_level": 0,
        "premium_subscription_count": 0,
    }


def guild(state: State, g: Guild) -> JSON:
    """REST guild object (GET /guilds/{id})."""
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "icon_hash": None,
        "splash": None,
        "discovery_splash": None,
        "owner_id": str(g.owner_id),
        "region": None,
        "afk_channel_id": None,
        "afk_timeout": 300,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [role(r) for r in g.roles.values()],
        "emojis": [],
        "stickers": [],
        "features": list(g.features),
        "mfa_level": 0,
        "application_id": None,
        "system_channel_id": str(g.system_channel_id) if g.system_channel_id else None,
        "system_channel_flags": 0,
        "rules_channel_id": str(g.rules_channel_id) if g.rules_channel_id else None,
        "max_presences": None,
        "max_members": 500000,
        "vanity_url_code": g.vanity_url_code,
        "description": g.description,
        "banner": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": g.preferred_locale,
        "public_updates_channel_id": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "nsfw_level": 0,
        "nsfw": False,
        "premium_progress_bar_enabled": False,
        "safety_alerts_channel_id": None,
        "incidents_data": None,
        "hub_type": None,
        "latest_onboarding_question_id": None,
    }


def guild_create(state: State, g: Guild, bot_id: int, *, all_members: bool) -> JSON:
    """GUILD_CREATE payload (REST guild plus gateway-only fields)."""
    data = guild(state, g)
    if all_members:
        members = list(g.members.values())
    else:
        members = [g.members[bot_id]] if bot_id in g.members else []
    data.update(
        joined_at=iso(g.members[bot_id].joined_at) if bot_id in g.members else None,
        large=len(g.members) > 250,
        unavailable=False,
        member_count=len(g.members),
        voice_states=[
            voice_state(state, g, vs, in_guild_create=True) for vs in g.voice_states.values()
        ],
        members=[member(state, m) for m in members],
        channels=[channel(state, c) for c in state.guild_channels(g)],
        threads=[
            thread(state, t, in_guild_create=True)
            for t in state.guild_threads(g, active_only=True)
            if state.channel_permissions(t, bot_id)
        ],
        presences=[],
        stage_instances=[],
        guild_scheduled_events=[scheduled_event(state, e) for e in g.events.values()],
        soundboard_sounds=[],
        embedded_activities=[],
        activity_instances=[],
        lazy=True,
        application_command_counts={},
    )
    for ch in data["channels"]:
        ch.pop("guild_id", None)
    return data


def attachment(state: State, a: Attachment, *, ephemeral: bool = False) -> JSON:
    """Attachment object; its URL is the emulator's own CDN route on 127.0.0.1."""
    state.files[a.id] = a
    url = f"{state.cdn_base}/attachments/0/{a.id}/{a.filename}"
    data: JSON = {
        "id": str(a.id),
        "filename": a.filename,
        "size": len(a.data),
        "url": url,
        "proxy_url": url,
        "content_type": a.content_type,
        "description": a.description,
    }
    if ephemeral:
        data["ephemeral"] = True
    return data


def message(state: State, m: Message, *, gateway: bool = False) -> JSON:
    """Message object; gateway events add guild_id and a partial member."""
    data: JSON = {
        "id": str(m.id),
        "channel_id": str(m.channel_id),
        "type": m.type,
        "content": m.content,
        "author": user(state.users[m.author_id]),
        "timestamp": iso(snowflake_time(m.id)),
        "edited_timestamp": iso(m.edited_at),
        "tts": m.tts,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [attachment(state, a, ephemeral=m.ephemeral) for a in m.attachments],
        "embeds": m.embeds,
        "components": m.components,
        "pinned": False,
        "flags": m.flags,
    }
    if m.webhook_id is not None:
        data["webhook_id"] = str(m.webhook_id)
        data["application_id"] = str(m.webhook_id)
    if m.interaction_metadata is not None:
        data["interaction_metadata"] = m.interaction_metadata
    if m.message_reference is not None:
        data["message_reference"] = m.message_reference
    started = state.channels.get(m.id)
    if started is not None and started.thread is not None and started.parent_id == m.channel_id:
        data["thread"] = thread(state, started)
    if gateway and m.guild_id is not None:
        data["guild_id"] = str(m.guild_id)
        g = state.guilds.get(m.guild_id)
        if g is not None and m.author_id in g.members:
            data["member"] = member(state, g.members[m.author_id], with_user=False)
    return data


def invite(state: State, inv: Invite, *, metadata: bool = True) -> JSON:
    """Invite object (with metadata: uses, max_uses, ...)."""
    g, c = state.guilds[inv.guild_id], state.channels[inv.channel_id]
    data: JSON = {
        "type": 0,
        "code": inv.code,
        "guild": partial_guild(g),
        "guild_id": str(g.id),
        "channel": {"id": str(c.id), "type": c.type, "name": c.name},
        "expires_at": iso(inv.expires_at),
        "flags": 0,
    }
    if inv.inviter_id is not None:
        data["inviter"] = user(state.users[inv.inviter_id])
    if metadata:
        data.update(
            uses=inv.uses,
            max_uses=inv.max_uses,
            max_age=inv.max_age,
            temporary=inv.temporary,
            created_at=iso(inv.created_at),
        )
    return data


def invite_create_event(state: State, inv: Invite) -> JSON:
    """INVITE_CREATE dispatch payload."""
    data: JSON = {
        "type": 0,
        "channel_id": str(inv.channel_id),
        "guild_id": str(inv.guild_id),
        "code": inv.code,
        "created_at": iso(inv.created_at),
        "expires_at": iso(inv.expires_at),
        "max_age": inv.max_age,
        "max_uses": inv.max_uses,
        "temporary": inv.temporary,
        "uses": 0,
    }
    if inv.inviter_id is not None:
        data["inviter"] = user(state.users[inv.inviter_id])
    return data


def scheduled_event(state: State, e: ScheduledEvent) -> JSON:
    """Guild scheduled event object."""
    data: JSON = {
        "id": str(e.id),
        "guild_id": str(e.guild_id),
        "name": e.name,
        "channel_id": str(e.channel_id) if e.channel_id else None,
        "creator_id": str(e.creator_id) if e.creator_id else None,
        "description": e.description,
        "scheduled_start_time": e.scheduled_start_time,
        "scheduled_end_time": e.scheduled_end_time,
        "privacy_level": e.privacy_level,
        "status": e.status,
        "entity_type": e.entity_type,
        "entity_id": None,
        "entity_metadata": {"location": e.location} if e.entity_type == 3 else None,
        "user_count": len(e.subscribers),
        "image": None,
        "recurrence_rule": None,
        "sku_ids": [],
        "auto_start": False,
    }
    if e.creator_id is not None and e.creator_id in state.users:
        data["creator"] = user(state.users[e.creator_id])
    return data

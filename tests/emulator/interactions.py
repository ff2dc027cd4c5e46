"""INTERACTION_CREATE payloads built as Discord builds them (slash, buttons, selects, modals)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Sequence
from typing import Any

from . import payloads
from .commands import CommandRoutes
from .emulator import EmulatorCore
from .records import InteractionRecord
from .state import Attachment, Channel, Message, User

JSON = dict[str, Any]
ATTACHMENT_LIMIT = 10 * 1024 * 1024


class InteractionsMixin(EmulatorCore):
    """Injects interactions and enforces the 3 s acknowledgement deadline."""

    commands: CommandRoutes

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.interactions: dict[int, InteractionRecord] = {}

    def _on_stop(self) -> None:
        for rec in self.interactions.values():
            if rec.timer is not None:
                rec.timer.cancel()
        super()._on_stop()

    # -- common -----------------------------------------------------------------------------
    def _base(
        self, itype: int, data: JSON, user_id: int, channel: Channel, locale: str | None
    ) -> JSON:
        user = self.state.users[user_id]
        payload: JSON = {
            "id": str(self.state.ids.make()),
            "application_id": str(self.application_id),
            "type": itype,
            "data": data,
            "token": "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48),
            "version": 1,
            "locale": locale or user.locale,
            "entitlements": [],
            "entitlement_sku_ids": [],
            "attachment_size_limit": ATTACHMENT_LIMIT,
            "channel_id": str(channel.id),
            "channel": payloads.channel(self.state, channel),
        }
        bot = self.bot_user.id
        if channel.guild_id is None:
            payload.update(
                user=payloads.user(user), context=1, authorizing_integration_owners={"0": "0"}
            )
            payload["app_permissions"] = str(self.state.channel_permissions(channel, bot))
            return payload
        guild = self.state.guilds[channel.guild_id]
        if user_id not in guild.members:
            raise LookupError(f"user {user_id} is not a member of guild {guild.id}")
        member = payloads.member(self.state, guild.members[user_id])
        member["permissions"] = str(self.state.channel_permissions(channel, user_id))
        payload.update(
            guild_id=str(guild.id),
            guild_locale=guild.preferred_locale,
            member=member,
            guild={
                "id": str(guild.id),
                "locale": guild.preferred_locale,
                "features": list(guild.features),
            },
            app_permissions=str(self.state.channel_permissions(channel, bot)),
            authorizing_integration_owners={"0": str(guild.id)},
            context=0,
        )
        return payload

    async def _send(self, payload: JSON, source_message_id: int | None = None) -> InteractionRecord:
        loop = asyncio.get_running_loop()
        rec = InteractionRecord(payload, loop.time(), source_message_id)
        self.interactions[rec.id] = rec
        await self.dispatch("INTERACTION_CREATE", payload)
        rec.created_at = loop.time()
        rec.timer = loop.call_later(self.ack_deadline, self._deadline, rec)
        return rec

    def _deadline(self, rec: InteractionRecord) -> None:
        if rec.ack is None and not rec.acking:
            rec.expired = rec.failed = True
            self.violation(
                f"interaction {rec.id} (type {rec.type}) not acknowledged within "
                f"{self.ack_deadline}s: 10062 Unknown interaction / This interaction failed"
            )
            rec.touch()

    def _channel_for(self, guild_id: int | None, user_id: int, channel_id: int | None) -> Channel:
        if channel_id is not None:
            return self.state.channels[channel_id]
        if guild_id is None:
            return self.state.dm_channel(user_id)
        guild = self.state.guilds[guild_id]
        if guild.system_channel_id:
            return self.state.channels[guild.system_channel_id]
        return next(c for c in self.state.guild_channels(guild) if c.type == 0)

    # -- slash commands ---------------------------------------------------------------------
    async def slash(
        self,
        guild_id: int | None,
        user_id: int,
        name: str,
        subcommand: Sequence[str] | str | None = None,
        options: dict[str, Any] | None = None,
        *,
        locale: str | None = None,
        channel_id: int | None = None,
    ) -> InteractionRecord:
        """Invoke a synced chat-input command as `user_id` (raises LookupError if not synced)."""
        cmd = self.commands.find_chat_command(guild_id, name)
        if cmd is None:
            synced = sorted({c["name"] for s in self.commands.stored.values() for c in s.values()})
            raise LookupError(f"/{name} is not synced (for guild {guild_id}); synced: {synced}")
        path = [subcommand] if isinstance(subcommand, str) else list(subcommand or [])
        defs: list[JSON] = cmd.get("options") or []
        for part in path:
            found = next((o for o in defs if o["name"] == part and o["type"] in (1, 2)), None)
            if found is None:
                raise LookupError(
                    f"/{name}: no subcommand/group {part!r} in {[o['name'] for o in defs]}"
                )
            defs = found.get("options") or []
        if any(o["type"] in (1, 2) for o in defs):
            raise LookupError(f"/{name} {' '.join(path)} needs a subcommand")
        channel = self._channel_for(guild_id, user_id, channel_id)
        resolved: dict[str, dict[str, Any]] = {}
        leaf = [
            self._option(d, (options or {})[d["name"]], resolved, channel.guild_id)
            for d in defs
            if d["name"] in (options or {})
        ]
        unknown_opts = set(options or {}) - {d["name"] for d in defs}
        if unknown_opts:
            raise LookupError(f"/{name}: unknown options {sorted(unknown_opts)}")
        missing = [
            d["name"] for d in defs if d.get("required") and d["name"] not in (options or {})
        ]
        if missing:
            raise LookupError(f"/{name}: missing required options {missing}")
        tree: list[JSON] = leaf
        for part in reversed(path):
            kind = 1 if tree is leaf else 2
            tree = [{"type": kind, "name": part, "options": tree}]
        data: JSON = {"id": cmd["id"], "name": name, "type": 1}
        if tree:
            data["options"] = tree
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        return await self._send(self._base(2, data, user_id, channel, locale))

    def _option(
        self, d: JSON, value: Any, resolved: dict[str, dict[str, Any]], guild_id: int | None
    ) -> JSON:
        otype, name = d["type"], d["name"]
        if isinstance(value, (User, Channel)):
            value = value.id
        if otype in (3, 4, 10) and d.get("choices"):
            allowed = [c["value"] for c in d["choices"]]
            if value not in allowed:
                raise LookupError(f"option {name}: {value!r} is not one of the choices {allowed}")
        if otype == 3:
            return {"type": 3, "name": name, "value": str(value)}
        if otype == 4:
            return {"type": 4, "name": name, "value": int(value)}
        if otype == 5:
            return {"type": 5, "name": name, "value": bool(value)}
        if otype == 10:
            return {"type": 10, "name": name, "value": float(value)}
        if otype == 11:
            filename, blob = value[0], value[1]
            att = Attachment(
                self.state.ids.make(),
                filename,
                blob,
                value[2] if len(value) > 2 else "application/octet-stream",
            )
            resolved.setdefault("attachments", {})[str(att.id)] = payloads.attachment(
                self.state, att
            )
            return {"type": 11, "name": name, "value": str(att.id)}
        self._resolve(int(value), otype, resolved, guild_id, name, d.get("channel_types"))
        return {"type": otype, "name": name, "value": str(int(value))}

    def _resolve(
        self,
        sid: int,
        otype: int,
        resolved: dict[str, dict[str, Any]],
        guild_id: int | None,
        name: str,
        channel_types: list[int] | None = None,
    ) -> None:
        guild = self.state.guilds.get(guild_id or 0)
        if otype in (6, 9) and sid in self.state.users:
            resolved.setdefault("users", {})[str(sid)] = payloads.user(self.state.users[sid])
            if guild is not None and sid in guild.members:
                member = payloads.member(self.state, guild.members[sid], with_user=False)
                channel = next(iter(self.state.guild_channels(guild)), None)
                perms = self.state.channel_permissions(channel, sid) if channel else 0
                member["permissions"] = str(perms)
                resolved.setdefault("members", {})[str(sid)] = member
        elif otype in (8, 9) and guild is not None and sid in guild.roles:
            resolved.setdefault("roles", {})[str(sid)] = payloads.role(guild.roles[sid])
        elif otype == 7 and sid in self.state.channels:
            ch = self.state.channels[sid]
            if channel_types and ch.type not in channel_types:
                raise LookupError(f"option {name}: channel type {ch.type} not in {channel_types}")
            data = payloads.channel(self.state, ch)
            data["permissions"] = str(self.state.channel_permissions(ch, self.bot_user.id))
            resolved.setdefault("channels", {})[str(sid)] = data
        else:
            raise LookupError(f"option {name}: {sid} is not a known user/role/channel")

    # -- components -------------------------------------------------------------------------
    @staticmethod
    def find_component(message: Message, custom_id: str) -> JSON | None:
        """The component with `custom_id` anywhere in the message."""
        stack = list(message.components)
        while stack:
            item = stack.pop()
            if item.get("custom_id") == custom_id:
                return item
            stack.extend(item.get("components") or [])
            stack.extend(x for x in (item.get("accessory"), item.get("component")) if x)
        return None

    def _component_target(self, message_id: int, custom_id: str) -> tuple[Message, JSON]:
        msg = self.state.messages.get(message_id)
        if msg is None or msg.deleted:
            raise LookupError(f"message {message_id} does not exist")
        comp = self.find_component(msg, custom_id)
        if comp is None:
            raise LookupError(f"no component {custom_id!r} on message {message_id}")
        if comp.get("disabled"):
            raise LookupError(f"component {custom_id!r} is disabled")
        return msg, comp

    async def click(
        self, message_id: int, custom_id: str, user_id: int, *, locale: str | None = None
    ) -> InteractionRecord:
        """Press a button (type 3 interaction, component_type 2)."""
        msg, comp = self._component_target(message_id, custom_id)
        if comp.get("type") != 2:
            raise LookupError(f"{custom_id!r} is not a button")
        data = {"custom_id": custom_id, "component_type": 2, "id": comp.get("id")}
        return await self._component(msg, data, user_id, locale)

    async def select(
        self,
        message_id: int,
        custom_id: str,
        values: Sequence[Any],
        user_id: int,
        *,
        locale: str | None = None,
    ) -> InteractionRecord:
        """Choose values in a select menu (string/user/role/mentionable/channel)."""
        msg, comp = self._component_target(message_id, custom_id)
        ctype = int(comp.get("type", 0))
        if ctype not in (3, 5, 6, 7, 8):
            raise LookupError(f"{custom_id!r} is not a select menu")
        vals = [str(v.id) if isinstance(v, (User, Channel)) else str(v) for v in values]
        lo, hi = int(comp.get("min_values", 1)), int(comp.get("max_values", 1))
        if not lo <= len(vals) <= hi:
            raise LookupError(f"{custom_id!r} takes {lo}..{hi} values, got {len(vals)}")
        data: JSON = {
            "custom_id": custom_id,
            "component_type": ctype,
            "values": vals,
            "id": comp.get("id"),
        }
        if ctype == 3:
            allowed = [o["value"] for o in comp.get("options") or []]
            if set(vals) - set(allowed):
                raise LookupError(f"{custom_id!r}: {vals} not all in {allowed}")
        else:
            resolved: dict[str, dict[str, Any]] = {}
            kind = {5: 6, 6: 8, 7: 9, 8: 7}[ctype]
            for v in vals:
                self._resolve(int(v), kind, resolved, msg.guild_id, custom_id)
            data["resolved"] = resolved
        return await self._component(msg, data, user_id, locale)

    async def _component(
        self, msg: Message, data: JSON, user_id: int, locale: str | None
    ) -> InteractionRecord:
        channel = self.state.channels[msg.channel_id]
        payload = self._base(3, data, user_id, channel, locale)
        payload["message"] = payloads.message(self.state, msg)
        return await self._send(payload, msg.id)

    # -- modals -----------------------------------------------------------------------------
    async def submit_modal(
        self,
        opened_by: InteractionRecord | str,
        values: dict[str, Any],
        user_id: int | None = None,
        *,
        locale: str | None = None,
    ) -> InteractionRecord:
        """Submit the modal the bot opened (type 5 interaction mirroring its layout)."""
        if isinstance(opened_by, str):
            source = next(
                (
                    r
                    for r in reversed(list(self.interactions.values()))
                    if r.modal and r.modal.get("custom_id") == opened_by
                ),
                None,
            )
            if source is None:
                raise LookupError(f"no modal with custom_id {opened_by!r} was opened")
        else:
            source = opened_by
        if source.modal is None:
            raise LookupError(f"{source!r} did not open a modal (ack={source.ack})")
        modal = source.modal
        used: set[str] = set()
        comps = [self._modal_component(c, values, used) for c in modal.get("components") or []]
        if set(values) - used:
            raise LookupError(f"modal has no inputs {sorted(set(values) - used)}")
        data = {"custom_id": modal["custom_id"], "components": comps}
        channel = self.state.channels[source.channel_id]
        payload = self._base(5, data, user_id or source.user_id, channel, locale)
        source_msg = self.state.messages.get(source.source_message_id or 0)
        if source_msg is not None:
            payload["message"] = payloads.message(self.state, source_msg)
        return await self._send(payload, source.source_message_id)

    def _modal_component(self, comp: JSON, values: dict[str, Any], used: set[str]) -> JSON:
        if comp.get("type") == 1:
            return {
                "type": 1,
                "id": comp.get("id"),
                "components": [
                    self._modal_input(c, c.get("label"), values, used) for c in comp["components"]
                ],
            }
        if comp.get("type") == 18:
            return {
                "type": 18,
                "id": comp.get("id"),
                "component": self._modal_input(comp["component"], comp.get("label"), values, used),
            }
        return {"type": comp.get("type"), "id": comp.get("id")}

    @staticmethod
    def _modal_input(item: JSON, label: str | None, values: dict[str, Any], used: set[str]) -> JSON:
        """Values are looked up by custom_id, then by label (discord.py randomises ids)."""
        cid = item.get("custom_id", "")
        key = cid if cid in values else (label if label in values else None)
        if key is not None:
            used.add(key)
        given = values.get(key) if key is not None else None
        if item.get("type") == 4:
            value = str(given if given is not None else item.get("value") or "")
            if item.get("required", True) and not value:
                raise LookupError(f"text input {label or cid!r} is required")
            lo, hi = int(item.get("min_length") or 0), int(item.get("max_length") or 4000)
            if value and not lo <= len(value) <= hi:
                raise LookupError(f"text input {label or cid!r} needs {lo}..{hi} characters")
            return {"type": 4, "id": item.get("id"), "custom_id": cid, "value": value}
        return {
            "type": item.get("type"),
            "id": item.get("id"),
            "custom_id": cid,
            "values": [str(v) for v in (given or [])],
        }

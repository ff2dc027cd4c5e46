"""Interaction callbacks and the interaction webhook (original response, followups)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from . import messaging, payloads
from .records import Ack, InteractionRecord
from .rest_app import Routes, RouteSpec, json_response, no_content
from .rules import DiscordError, check_modal
from .state import Message

JSON = dict[str, Any]
ALLOWED_FLAGS = 4 | 64 | 4096 | 32768


def _invalid(message: str, violation: str) -> DiscordError:
    return DiscordError(
        400,
        50035,
        "Invalid Form Body",
        errors={
            "type": {"_errors": [{"code": "INTERACTION_RESPONSE_TYPE_INVALID", "message": message}]}
        },
        violation=violation,
    )


class InteractionRoutes(Routes):
    """POST /interactions/{id}/{token}/callback and /webhooks/{app}/{token}/..."""

    def routes(self) -> list[RouteSpec]:
        hook = "/webhooks/{app_id}/{token}"
        return [
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.callback),
            ("GET", hook + "/messages/@original", self.get_original),
            ("PATCH", hook + "/messages/@original", self.edit_original),
            ("DELETE", hook + "/messages/@original", self.delete_original),
            ("POST", hook, self.followup),
            ("GET", hook + "/messages/{message_id}", self.get_message),
            ("PATCH", hook + "/messages/{message_id}", self.edit_message),
            ("DELETE", hook + "/messages/{message_id}", self.delete_message),
        ]

    # -- callback ---------------------------------------------------------------------------
    async def callback(self, request: web.Request) -> web.Response:
        """Acknowledge once, within the deadline; types 1, 4, 5, 6, 7, 8, 9, 12."""
        rec = self.emu.interactions.get(self.int_param(request, "interaction_id"))
        if rec is None or rec.token != request.match_info["token"]:
            raise DiscordError(
                404, 10062, "Unknown interaction", violation="callback for unknown interaction"
            )
        if rec.expired:
            raise DiscordError(
                404,
                10062,
                "Unknown interaction",
                violation=f"interaction {rec.id} acknowledged after the "
                f"{self.emu.ack_deadline}s deadline",
            )
        if rec.ack is not None or rec.acking:
            raise DiscordError(
                400,
                40060,
                "Interaction has already been acknowledged.",
                violation=f"40060 second acknowledgement of interaction {rec.id}",
            )
        body = self.body(request)
        rtype, data = int(body.get("type", 0)), body.get("data")
        rec.acking = True
        try:
            message = await self._apply(rec, rtype, data or {}, request)
        finally:
            rec.acking = False
        rec.ack = Ack(rtype, data)
        if rec.timer is not None:
            rec.timer.cancel()
        rec.touch()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        info: JSON = {"id": str(rec.id), "type": rec.type}
        result: JSON = {"interaction": info}
        if message is not None:
            info.update(
                response_message_id=str(message.id),
                response_message_loading=rtype == 5,
                response_message_ephemeral=message.ephemeral,
            )
            result["resource"] = {"type": rtype, "message": payloads.message(self.state, message)}
        return json_response(result)

    async def _apply(
        self, rec: InteractionRecord, rtype: int, data: JSON, request: web.Request
    ) -> Message | None:
        flags = int(data.get("flags") or 0)
        if rtype in (4, 5) and flags & ~ALLOWED_FLAGS:
            raise _invalid("Invalid message flags", f"callback flags {flags} not allowed")
        if rtype == 1:
            raise _invalid("PONG is only for PING", "PONG to a non-ping interaction")
        if rtype == 4:
            rec.response = await self._create(rec, data, request)
            return rec.response
        if rtype == 5:
            rec.response = await messaging.create_message(
                self.emu,
                self.state.channels[rec.channel_id],
                self.emu.bot_user.id,
                {"flags": 128 | (flags & 64)},
                [],
                type=self._msg_type(rec),
                webhook_id=self.emu.application_id,
                interaction_metadata=self._metadata(rec),
                loading=True,
            )
            return rec.response
        if rtype in (6, 7):
            source = self.state.messages.get(rec.source_message_id or 0)
            if source is None:
                raise _invalid(
                    "Only component interactions can update a message",
                    f"callback type {rtype} for interaction type {rec.type}",
                )
            if rtype == 7:
                await messaging.edit_message(self.emu, source, data, self.files(request))
            return source if rtype == 7 else None
        if rtype == 8:
            if rec.type != 4:
                raise _invalid("Autocomplete result only for autocomplete", "bad autocomplete ack")
            return None
        if rtype == 9:
            if rec.type == 5:
                raise _invalid("Cannot respond to a modal submit with a modal", "modal after modal")
            check_modal(data)
            rec.modal = {
                **data,
                "components": messaging.number_components(data.get("components") or []),
            }
            return None
        if rtype == 12:
            return None
        raise _invalid(f"Unknown callback type {rtype}", f"unknown callback type {rtype}")

    def _msg_type(self, rec: InteractionRecord) -> int:
        return 20 if rec.type == 2 else 0

    def _metadata(self, rec: InteractionRecord) -> JSON:
        meta: JSON = {
            "id": str(rec.id),
            "type": rec.type,
            "user": payloads.user(self.state.users[rec.user_id]),
            "authorizing_integration_owners": rec.payload["authorizing_integration_owners"],
        }
        if rec.type == 2:
            meta["name"] = rec.payload["data"]["name"]
            meta["command_type"] = 1
        if rec.source_message_id is not None and rec.type == 3:
            meta["interacted_message_id"] = str(rec.source_message_id)
        return meta

    async def _create(self, rec: InteractionRecord, data: JSON, request: web.Request) -> Message:
        channel = self.state.channels[rec.channel_id]
        return await messaging.create_message(
            self.emu,
            channel,
            self.emu.bot_user.id,
            data,
            self.files(request),
            type=self._msg_type(rec),
            webhook_id=self.emu.application_id,
            interaction_metadata=self._metadata(rec),
        )

    # -- webhook ----------------------------------------------------------------------------
    def _record(self, request: web.Request, *, need_ack: bool = True) -> InteractionRecord:
        if self.int_param(request, "app_id") != self.emu.application_id:
            raise DiscordError(
                404, 10015, "Unknown Webhook", violation="webhook with wrong application id"
            )
        token = request.match_info["token"]
        rec: InteractionRecord | None = next(
            (r for r in self.emu.interactions.values() if r.token == token), None
        )
        if rec is None:
            raise DiscordError(404, 10015, "Unknown Webhook", violation="unknown interaction token")
        if asyncio.get_running_loop().time() - rec.created_at > self.emu.token_lifetime:
            raise DiscordError(
                401,
                50027,
                "Invalid Webhook Token",
                violation=f"interaction token used after {self.emu.token_lifetime}s",
            )
        if need_ack and rec.ack is None:
            raise DiscordError(
                404,
                10015,
                "Unknown Webhook",
                violation=f"webhook use before acknowledging interaction {rec.id}",
            )
        return rec

    def _original(self, rec: InteractionRecord) -> Message:
        msg = rec.response
        if msg is None and rec.ack is not None and rec.ack.type in (6, 7):
            msg = self.state.messages.get(rec.source_message_id or 0)
        if msg is None or msg.deleted:
            raise DiscordError(
                404,
                10008,
                "Unknown Message",
                violation=f"interaction {rec.id} has no original response",
            )
        return msg

    def _owned(self, rec: InteractionRecord, request: web.Request) -> Message:
        mid = self.int_param(request, "message_id")
        for msg in rec.messages + (
            [self._original(rec)] if rec.ack and rec.ack.type in (6, 7) else []
        ):
            if msg.id == mid and not msg.deleted:
                return msg
        raise DiscordError(
            404, 10008, "Unknown Message", violation=f"message {mid} not from this token"
        )

    async def get_original(self, request: web.Request) -> web.Response:
        """The original response."""
        rec = self._record(request)
        return json_response(payloads.message(self.state, self._original(rec)))

    async def edit_original(self, request: web.Request) -> web.Response:
        """Edit (or fill in a deferred) original response."""
        rec = self._record(request)
        msg = await messaging.edit_message(
            self.emu, self._original(rec), self.body(request), self.files(request)
        )
        rec.touch()
        return json_response(payloads.message(self.state, msg))

    async def delete_original(self, request: web.Request) -> web.Response:
        """Delete the original response."""
        rec = self._record(request)
        await messaging.delete_message(self.emu, self._original(rec))
        rec.touch()
        return no_content()

    async def followup(self, request: web.Request) -> web.Response:
        """Followup; the first one after a thinking defer replaces the placeholder."""
        rec = self._record(request)
        body, files = self.body(request), self.files(request)
        if rec.response is not None and rec.response.flags & 128 and not rec.response.deleted:
            msg = await messaging.edit_message(self.emu, rec.response, body, files)
        else:
            # Interaction followups reach the user even when their DMs are closed.
            channel = self.state.channels[rec.channel_id]
            msg = await messaging.create_message(
                self.emu,
                channel,
                self.emu.bot_user.id,
                body,
                files,
                type=19 if rec.type != 2 else 20,
                webhook_id=self.emu.application_id,
                interaction_metadata=self._metadata(rec),
            )
        rec.followups.append(msg)
        rec.touch()
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(payloads.message(self.state, msg))
        return no_content()

    async def get_message(self, request: web.Request) -> web.Response:
        """A message sent with this token."""
        rec = self._record(request)
        return json_response(payloads.message(self.state, self._owned(rec, request)))

    async def edit_message(self, request: web.Request) -> web.Response:
        """Edit a followup."""
        rec = self._record(request)
        msg = await messaging.edit_message(
            self.emu, self._owned(rec, request), self.body(request), self.files(request)
        )
        rec.touch()
        return json_response(payloads.message(self.state, msg))

    async def delete_message(self, request: web.Request) -> web.Response:
        """Delete a followup."""
        rec = self._record(request)
        await messaging.delete_message(self.emu, self._owned(rec, request))
        rec.touch()
        return no_content()

"""/poll and /survey: polls with button votes (anonymous, role-restricted, with a deadline),
1-5 product ratings and 0-10 NPS surveys, live counts, results with charts, CSV exports."""

from __future__ import annotations

from bot.client import VouchBot
from cogs.polls._buttons import DYNAMIC_ITEMS
from cogs.polls._commands import PollCommands
from cogs.polls._runner import PollRunner
from cogs.polls._surveys import SurveyCommands

__all__ = ["PollCommands", "PollRunner", "SurveyCommands"]


async def setup(bot: VouchBot) -> None:
    """Extension entry point."""
    runner = PollRunner(bot)
    await bot.add_cog(runner)
    await bot.add_cog(PollCommands(bot, runner.kit))
    await bot.add_cog(SurveyCommands(bot, runner.kit))
    bot.add_dynamic_items(*DYNAMIC_ITEMS)

"""Referral codes and the referred-orders import, on real SQLite."""

from __future__ import annotations

import random

import pytest

from bot.errors import DomainError
from bot.services import Services
from bot.services.referrals.codes import ALPHABET, ReferralCodes, clean_prefix
from tests.conftest import FakeClock

G = 1
HEADER = "order_id,code,amount,currency,created_at,status"


async def code_of(services: Services, user_id: int = 7, name: str = "Maya") -> str:
    return (await services.referral_codes.code_for(G, user_id, name)).code


async def test_code_is_readable_unique_and_reused(services: Services) -> None:
    code = await code_of(services)
    prefix, suffix = code.split("-")
    assert prefix == "MAYA"
    assert len(suffix) == 4
    assert set(suffix) <= set(ALPHABET)
    assert not set(suffix) & set("0O1IL")
    assert await code_of(services) == code  # created once
    assert await services.referral_codes.owner_of(G, f"  {code.lower()} ") == 7


def test_prefix_from_names() -> None:
    assert clean_prefix("Maëlle O'Brien") == "MAELLEOBRI"
    assert clean_prefix("李") == ""


async def test_collisions_are_retried(services: Services, clock: FakeClock) -> None:
    codes = ReferralCodes(services.db, clock, random.Random(42))
    first = (await codes.code_for(G, 1, "Maya")).code
    again = ReferralCodes(services.db, clock, random.Random(42))  # draws the same suffix first
    second = (await again.code_for(G, 2, "Maya")).code
    assert second != first
    assert second.startswith("MAYA-")


async def test_prefix_template_and_share_url(services: Services) -> None:
    await services.referral_codes.set_settings(
        G, code_prefix="VOUCH", store_url="https://shop.example/r/{code}"
    )
    made = await services.referral_codes.code_for(G, 9, "Noor")
    assert made.code.startswith("VOUCH-")
    assert made.share_url == f"https://shop.example/r/{made.code}"
    name_only = await services.referral_codes.code_for(G + 1, 9, "")
    assert name_only.code.startswith("VOUCH-")  # fallback prefix for an empty name


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"store_url": "https://shop.example/"}, "referral.store_url_needs_code"),
        ({"store_url": "javascript:{code}"}, "referral.store_url_invalid"),
        ({"code_prefix": "!!!"}, "referral.prefix_invalid"),
    ],
)
async def test_bad_settings_change_nothing(
    services: Services, change: dict[str, str], key: str
) -> None:
    with pytest.raises(DomainError) as caught:
        await services.referral_codes.set_settings(G, **change)
    assert caught.value.key == key


async def test_import_adds_updates_and_reports_bad_rows(services: Services) -> None:
    code = await code_of(services)
    owner_code = await code_of(services, 8, "Bo")
    csv_text = "\n".join(
        [
            HEADER + ",customer_discord_id",
            f"A1,{code},49.90,EUR,2026-10-01T10:00:00+00:00,paid,",
            f"A2,{code.lower()},100,DKK,2026-10-02,paid,",
            "A3,NOPE-2222,10,EUR,2026-10-02,paid,",
            f"A4,{code},-5,EUR,2026-10-02,paid,",
            f"A5,{code},abc,EUR,2026-10-02,paid,",
            f"A6,{code},10,XXQ,2026-10-02,paid,",
            f"A7,{code},10,EUR,2027-10-02,paid,",
            f"A8,{code},10,EUR,2026-10-02,shipped,",
            f"A1,{code},49.90,EUR,2026-10-01,refunded,",
            f"A9,{code},1.234,EUR,2026-10-02,paid,",
            f"B1,{owner_code},20,EUR,2026-10-02,paid,8",
        ]
    )
    report = await services.orders.import_csv(G, csv_text.splitlines())
    assert (report.added, report.updated, report.rejected) == (3, 0, 8)
    assert [(p.line, p.key) for p in report.problems] == [
        (4, "referral.row.unknown_code"),
        (5, "referral.row.amount"),
        (6, "referral.row.amount"),
        (7, "referral.row.currency"),
        (8, "referral.row.future"),
        (9, "referral.row.status"),
        (10, "referral.row.duplicate"),
        (11, "referral.row.amount"),
    ]
    assert await services.orders.totals(G, 7) == {"DKK": (1, 10000), "EUR": (1, 4990)}
    assert await services.orders.totals(G, 8) == {}  # the referrer's own order is not credited


async def test_reimport_is_idempotent_and_a_refund_reverses_the_credit(
    services: Services,
) -> None:
    code = await code_of(services)
    first = [HEADER, f"A1,{code},49.90,EUR,2026-10-01,paid"]
    assert (await services.orders.import_csv(G, first)).added == 1
    again = await services.orders.import_csv(G, first)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    refund = await services.orders.import_csv(
        G, [HEADER, f"A1,{code},49.90,EUR,2026-10-01,refunded"]
    )
    assert refund.updated == 1
    assert await services.orders.totals(G, 7) == {}


async def test_missing_columns_are_refused_before_anything_changes(services: Services) -> None:
    with pytest.raises(DomainError) as caught:
        await services.orders.import_csv(G, ["order_id,code,amount", "A1,X,1"])
    assert caught.value.key == "referral.import.columns"
    assert caught.value.params["columns"] == "currency, created_at, status"


async def test_a_row_with_extra_cells_is_rejected(services: Services) -> None:
    code = await code_of(services)
    report = await services.orders.import_csv(
        G, [HEADER, f"A1,{code},1,EUR,2026-10-01,paid,extra,cells"]
    )
    assert [(p.line, p.key) for p in report.problems] == [(2, "referral.row.shape")]


async def test_forget_removes_code_and_orders(services: Services) -> None:
    code = await code_of(services)
    await services.orders.import_csv(G, [HEADER, f"A1,{code},1,EUR,2026-10-01,paid"])
    exported = await services.privacy.export(G, 7)
    assert exported["data"]["referrals"]["code"][0]["code"] == code  # type: ignore[index]
    report = await services.privacy.forget(G, 7)
    assert report.deleted["referrals"] == 2
    assert await services.referral_codes.owner_of(G, code) is None

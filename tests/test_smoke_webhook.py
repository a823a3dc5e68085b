from tests.support import Harness


async def test_contact_reply(harness: Harness) -> None:
    reply = await harness.say("联系我们")
    assert "0871-64980508" in reply


async def test_seeded_profile(harness: Harness) -> None:
    from tests.factories import seed_enterprise

    seeded = await seed_enterprise(harness.runtime, "o_seed")
    profile = await harness.runtime.ports.platform.profile("o_seed")
    assert profile.active is not None and profile.active.id == seeded.enterprise_id
    assert profile.missing_steps() == []
    assert (await harness.runtime.ports.platform.profile("o_other")).account is None

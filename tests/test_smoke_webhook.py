from tests.support import Harness


async def test_contact_reply(harness: Harness) -> None:
    reply = await harness.say("联系我们")
    assert "0871-64980508" in reply

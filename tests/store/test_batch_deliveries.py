"""A batch's one message (issue 18, item 4) in the store, on each backend: its deliveries in order,
and the compare-and-set that lets only one process record the message it posted."""

from __future__ import annotations

from bot.store.deliveries import Deliveries, Delivery, insert_delivery


async def test_only_one_process_records_the_batch_s_message(database):
    deliveries = Deliveries(database)
    for index, job_id in enumerate(["b0", "b1", "b2"]):
        await database.atomic(
            insert_delivery, Delivery(job_id, 1, "t", 0.0, batch_id="batch", batch_index=index)
        )
    await database.atomic(insert_delivery, Delivery("alone", 1, "t", 0.0))

    batch = await deliveries.batch("batch")
    assert [d.job_id for d in batch] == ["b0", "b1", "b2"]
    assert [d.batch_index for d in batch] == [0, 1, 2]

    # Two processes saw no message and each posted one: the first to record it wins.
    assert await deliveries.claim_batch("b0", "batch", seen=None, message_id=111)
    assert not await deliveries.claim_batch("b0", "batch", seen=None, message_id=222)
    assert {d.result_message_id for d in await deliveries.batch("batch")} == {111}
    # Replacing the expired reply by a message in the channel: from the value seen.
    assert await deliveries.claim_batch("b0", "batch", seen=111, message_id=333)
    assert {d.result_message_id for d in await deliveries.batch("batch")} == {333}
    assert (await deliveries.get("alone")).result_message_id is None

#!/usr/bin/env python3
"""The local event bus for `make dev`, on moto (LOCAL ONLY: never point this at real AWS).

    moto_setup.py create   create the bus, an SQS queue, and a rule sending every Maskline event
                           (source "maskline") from the bus to the queue; safe to run twice
    moto_setup.py drain    print every message waiting on the queue (one EventBridge event as JSON
                           per line) and delete it: what Maskline published, by hand
    moto_setup.py poll LAMBDA_URL
                           forever: feed the allocate and release queues to their functions through
                           cargo lambda watch's Invoke API, as Lambda's SQS event source mapping would
                           (batches of up to 10, partial batch failures left on the queue, which
                           moves a message to its dead-letter queue after 5 receives); and the
                           table's stream ($TABLE_NAME, on DynamoDB Local) to announce, as the
                           stream's event source mapping would (session items only, batches of up
                           to 100, a failed record retried from, then sent to <bus>-announce-dlq)

Like template.yaml: rule DriverAssigned -> queue <bus>-allocate (DLQ <bus>-allocate-dlq) ->
allocate-numbers; rule OrderDelivered/OrderCancelled -> <bus>-release (DLQ <bus>-release-dlq) ->
release-numbers; so an event put on the local bus really flows bus -> rule -> queue -> function.

The table's stream -> announce -> MaskedNumbers* events on the bus is the outbox of template.yaml.

Names: the bus is $EVENT_BUS_NAME (default maskline-local), the queue "<bus>-published".
Endpoints come from AWS_ENDPOINT_URL_EVENTBRIDGE / AWS_ENDPOINT_URL_SQS, which
infra/local/services.sh exports; the script refuses to run without them so that it can never
create anything in a real account. Runs with .local/venv/bin/python (boto3 comes with moto).
"""

import json
import os
import sys
import time
import urllib.request

import boto3

RULE = "maskline-local-published"
PATTERN = json.dumps({"source": ["maskline"]})


def endpoint(name):
    url = os.environ.get(name, "").strip()
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        sys.exit(f"moto_setup.py: {name} must point at the local moto server (got {url!r}); "
                 "source infra/local/services.sh and run start_local_services first")
    return url


def clients():
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    common = dict(region_name=region,
                  aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
                  aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"))
    events = boto3.client("events", endpoint_url=endpoint("AWS_ENDPOINT_URL_EVENTBRIDGE"), **common)
    sqs = boto3.client("sqs", endpoint_url=endpoint("AWS_ENDPOINT_URL_SQS"), **common)
    return events, sqs


def names():
    bus = os.environ.get("EVENT_BUS_NAME") or "maskline-local"
    return bus, f"{bus}-published"


# (queue suffix, function, the sources and detail types its rule routes to it), as in template.yaml
ORDER_QUEUES = [("allocate", "allocate-numbers", ["orders"], ["DriverAssigned"]),
                ("release", "release-numbers", ["orders"], ["OrderDelivered", "OrderCancelled"]),
                ("refill", "refill-pool", ["maskline", "orders"], ["PoolExhausted", "OrderPlaced"])]


def queue_arn(sqs, queue_url):
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]


def route(events, bus, rule, pattern, arn):
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=pattern, State="ENABLED")
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])


def create():
    events, sqs = clients()
    bus, queue = names()
    try:
        events.create_event_bus(Name=bus)
    except events.exceptions.ResourceAlreadyExistsException:
        pass
    queue_url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    route(events, bus, RULE, PATTERN, queue_arn(sqs, queue_url))
    print(f"event bus {bus}: rule {RULE} {PATTERN} -> SQS queue {queue}")
    for suffix, function, sources, detail_types in ORDER_QUEUES:
        dlq_url = sqs.create_queue(QueueName=f"{bus}-{suffix}-dlq")["QueueUrl"]
        redrive = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dlq_url), "maxReceiveCount": "5"})
        url = sqs.create_queue(QueueName=f"{bus}-{suffix}", Attributes={
            "VisibilityTimeout": "5", "RedrivePolicy": redrive})["QueueUrl"]
        pattern = json.dumps({"source": sources, "detail-type": detail_types})
        route(events, bus, f"{bus}-{suffix}", pattern, queue_arn(sqs, url))
        print(f"event bus {bus}: rule {pattern} -> SQS queue {bus}-{suffix} (DLQ {bus}-{suffix}-dlq)"
              f" -> {function}")
    sqs.create_queue(QueueName=f"{bus}-announce-dlq")
    print(f"table stream -> announce (on-failure destination {bus}-announce-dlq)")


def lambda_record(message, arn):
    attributes = message.get("Attributes", {})
    return {"messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": attributes, "messageAttributes": {},
            "md5OfBody": message.get("MD5OfBody", ""), "eventSource": "aws:sqs",
            "eventSourceARN": arn, "awsRegion": os.environ.get("AWS_REGION", "us-east-1")}


def invoke(lambda_url, function, event):
    """The function's answer through cargo lambda watch's Invoke API (raises when it is down)."""
    request = urllib.request.Request(f"{lambda_url}/2015-03-31/functions/{function}/invocations",
                                     data=json.dumps(event).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=90) as response:
        return json.load(response)


# As the template's event source mapping: BatchSize, and retries of a failed record before it is
# sent to the on-failure destination (fewer than the template's, so a local poison clears fast).
STREAM_BATCH = 100
STREAM_RETRIES = 2


def stream_record(record):
    """A DynamoDB Streams record (boto3's low-level shape is already the attribute-value JSON) as
    Lambda's DynamoDB event record: only the creation time needs turning into epoch seconds."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if created is not None and hasattr(created, "timestamp"):
        change["ApproximateCreationDateTime"] = created.timestamp()
    return {"eventID": record["eventID"], "eventName": record["eventName"],
            "eventVersion": record.get("eventVersion", "1.1"), "eventSource": "aws:dynamodb",
            "awsRegion": record.get("awsRegion", os.environ.get("AWS_REGION", "us-east-1")),
            "dynamodb": change}


class StreamPoller:
    """The table's stream fed to announce, per shard in order, from the last record acknowledged."""

    def __init__(self, lambda_url, sqs, bus):
        region = os.environ.get("AWS_REGION") or "us-east-1"
        common = dict(region_name=region,
                      aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "local"),
                      aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "local"))
        url = endpoint("AWS_ENDPOINT_URL_DYNAMODB")
        self.dynamodb = boto3.client("dynamodb", endpoint_url=url, **common)
        self.streams = boto3.client("dynamodbstreams", endpoint_url=url, **common)
        self.table = os.environ.get("TABLE_NAME") or sys.exit("moto_setup.py poll: TABLE_NAME is not set")
        self.lambda_url, self.sqs = lambda_url, sqs
        self.dlq = sqs.get_queue_url(QueueName=f"{bus}-announce-dlq")["QueueUrl"]
        self.acknowledged, self.attempts = {}, {}

    def records(self, arn, shard):
        after = self.acknowledged.get(shard)
        start = (dict(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after) if after
                 else dict(ShardIteratorType="TRIM_HORIZON"))
        iterator = self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard, **start)["ShardIterator"]
        return self.streams.get_records(ShardIterator=iterator, Limit=STREAM_BATCH)["Records"]

    def poll_once(self):
        arn = self.dynamodb.describe_table(TableName=self.table)["Table"].get("LatestStreamArn")
        if not arn:
            return
        for shard in self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            records = self.records(arn, shard_id)
            if not records:
                continue
            # The mapping's FilterCriteria (sk = SESSION): other items never reach the function.
            sessions = [r for r in records if r["dynamodb"]["Keys"].get("sk", {}).get("S") == "SESSION"]
            failed = None
            if sessions:
                try:
                    answer = invoke(self.lambda_url, "announce",
                                    {"Records": [stream_record(r) for r in sessions]})
                except Exception as error:  # the function reloading: the records are read again later
                    print(f"announce: invoke failed ({error}); {len(sessions)} record(s) wait", flush=True)
                    return
                failures = (answer or {}).get("batchItemFailures", [])
                failed = failures[0]["itemIdentifier"] if failures else None
            sequences = [r["dynamodb"]["SequenceNumber"] for r in records]
            if failed is None:
                self.acknowledged[shard_id] = sequences[-1]
                print(f"announce: {len(sessions)} session change(s) of {len(records)} record(s)", flush=True)
                continue
            done = sequences.index(failed)
            if done:
                self.acknowledged[shard_id] = sequences[done - 1]
            self.attempts[failed] = self.attempts.get(failed, 0) + 1
            if self.attempts[failed] > STREAM_RETRIES:
                # The on-failure destination: where the record was, never what it held.
                self.sqs.send_message(QueueUrl=self.dlq, MessageBody=json.dumps(
                    {"shard": shard_id, "sequenceNumber": failed, "streamArn": arn}))
                self.acknowledged[shard_id] = failed
                print(f"announce: record {failed} failed {self.attempts[failed]} times; sent to the DLQ",
                      flush=True)
            else:
                print(f"announce: record {failed} failed; retried from it", flush=True)


def poll(lambda_url):
    _, sqs = clients()
    bus, _ = names()
    queues = []
    for suffix, function, _, _ in ORDER_QUEUES:
        url = sqs.get_queue_url(QueueName=f"{bus}-{suffix}")["QueueUrl"]
        queues.append((url, queue_arn(sqs, url), function))
    stream = StreamPoller(lambda_url, sqs, bus)
    print(f"polling {', '.join(f'{bus}-{s} -> {f}' for s, f, _, _ in ORDER_QUEUES)}, "
          f"and the stream of {stream.table} -> announce", flush=True)
    while True:
        stream.poll_once()
        for url, arn, function in queues:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                           AttributeNames=["All"]).get("Messages", [])
            if not messages:
                continue
            event = {"Records": [lambda_record(m, arn) for m in messages]}
            try:
                answer = invoke(lambda_url, function, event)
            except Exception as error:  # the function reloading: the messages come back later
                print(f"{function}: invoke failed ({error}); {len(messages)} message(s) stay queued", flush=True)
                continue
            failed = {f["itemIdentifier"] for f in (answer or {}).get("batchItemFailures", [])}
            for message in messages:
                if message["MessageId"] not in failed:
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            print(f"{function}: batch of {len(messages)}, {len(failed)} failed (left for retry / DLQ)",
                  flush=True)
        time.sleep(0.3)


def drain():
    _, sqs = clients()
    _, queue = names()
    queue_url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return
        for message in messages:
            # One EventBridge event per message; printed compact, one per line.
            print(json.dumps(json.loads(message["Body"]), separators=(",", ":")))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def main():
    commands = {"create": (create, 0), "drain": (drain, 0), "poll": (poll, 1)}
    name = sys.argv[1] if len(sys.argv) > 1 else ""
    if name not in commands or len(sys.argv) - 2 != commands[name][1]:
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} create | drain | poll LAMBDA_URL")
    commands[name][0](*sys.argv[2:])


if __name__ == "__main__":
    main()
